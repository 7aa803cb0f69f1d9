{#- Every row satisfies `expression` (rows where it is false are returned as failures). -#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where
        not ({{ expression }})
{% endtest %}
