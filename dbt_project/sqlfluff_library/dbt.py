"""Stand-ins for dbt's cross-database macros (`dbt.type_string()` ...) when sqlfluff renders the
models with its plain jinja templater (no dbt, no database); they return typical SQL text."""


def type_string() -> str:
    return "varchar"


def type_timestamp() -> str:
    return "timestamp"


def type_bigint() -> str:
    return "bigint"


def type_int() -> str:
    return "integer"


def type_float() -> str:
    return "double"


def type_numeric() -> str:
    return "numeric(28, 6)"


def type_boolean() -> str:
    return "boolean"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"date_diff('{datepart}', {first_date}, {second_date})"


def dateadd(datepart: str, interval: str, from_date_or_timestamp: str) -> str:
    return f"({from_date_or_timestamp} + interval {interval} {datepart})"


def safe_cast(field: str, type_: str) -> str:
    return f"try_cast({field} as {type_})"
