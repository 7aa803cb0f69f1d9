{{ config(materialized='table') }}
-- The ledger of the incremental macro panel: the vintage states (with their series' frequency)
-- fct_macro_asof was last built from; int_macro__recompute compares the next build's states
-- with it. It runs after the panel (and its tests) succeeded:
-- depends_on: {{ ref('fct_macro_asof') }}
{{ macro_panel_inputs() }}
