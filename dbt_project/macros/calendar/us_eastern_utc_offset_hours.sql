{#- Hours New York is behind UTC on `day` (a date): 4 in daylight time, 5 otherwise. US rules:
    from 2007 the second Sunday of March to the first Sunday of November; 1987-2006 the first
    Sunday of April to the last Sunday of October. Plain date arithmetic, so both backends agree
    without a time-zone database. Valid from 1987. -#}
{% macro first_sunday_on_or_after(day) -%}
    ({{ day }} + cast(mod(7 - cast(extract(dow from {{ day }}) as integer), 7) as integer))
{%- endmacro %}

{% macro us_eastern_utc_offset_hours(day) -%}
    {%- set year = 'cast(extract(year from ' ~ day ~ ') as integer)' -%}
    case
        when {{ year }} >= 2007
            and {{ day }} >= {{ first_sunday_on_or_after('make_date(' ~ year ~ ', 3, 8)') }}
            and {{ day }} < {{ first_sunday_on_or_after('make_date(' ~ year ~ ', 11, 1)') }}
            then 4
        when {{ year }} < 2007
            and {{ day }} >= {{ first_sunday_on_or_after('make_date(' ~ year ~ ', 4, 1)') }}
            and {{ day }} < {{ first_sunday_on_or_after('make_date(' ~ year ~ ', 10, 25)') }}
            then 4
        else 5
    end
{%- endmacro %}
