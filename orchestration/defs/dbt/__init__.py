"""The dbt project as Dagster assets: models are assets, dbt tests are asset checks."""
