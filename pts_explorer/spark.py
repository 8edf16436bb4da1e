"""The same queries on Spark SQL (PTS_ENGINE=spark): each composed, bound statement is translated
from DuckDB's dialect by sqlglot plus the few fixes below, and run with its parameters bound by
Spark (`:name` markers, lists as arrays). Tables come from a Parquet directory written by
pts_explorer.parquet, or from a Spark catalog database (PTS_SPARK_DATABASE).

Spark is an optional extra (pyproject.toml's `spark` extra, Java 17): without it the app never imports
this module's dependencies, and asking for it says what is missing.

Portability rules the queries keep (tests/unit/test_portability.py guards them; docs/scale-out.md §3):
array_length() not len(); standard UNPIVOT; no lateral column alias in a window; samples ordered by
sample_key (md5 of the patient id), the same on every engine; quantiles via quantile_cont only;
parameters scalar or list literals.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pts_explorer import vocab


class SparkUnavailable(RuntimeError):
    """Spark cannot run here: what is missing and how to get it, in words."""


def check_available() -> None:
    """Raise SparkUnavailable unless pyspark, sqlglot and a Java runtime are present."""
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError as exc:
        raise SparkUnavailable(
            f"PTS_ENGINE=spark needs the optional Spark extra ({exc.name} is not installed): run "
            "`make spark-extra` (uv sync --extra spark), or unset PTS_ENGINE to use DuckDB."
        ) from exc
    java_home = os.environ.get("JAVA_HOME")
    if not shutil.which("java") and not (java_home and (Path(java_home) / "bin" / "java").exists()):
        raise SparkUnavailable(
            "PTS_ENGINE=spark needs a Java 17 runtime and none was found (no `java` on PATH, no JAVA_HOME): "
            "install one (Debian: apt-get install openjdk-17-jre-headless), or unset PTS_ENGINE to use DuckDB."
        )


@functools.lru_cache(maxsize=512)  # the statements are few: each is parsed and translated once
def translate(text: str) -> str:
    """DuckDB SQL (a composed statement) as Spark SQL."""
    import sqlglot
    from sqlglot import exp

    def fix(node: exp.Expression) -> exp.Expression:
        # quantile_cont(x, p): sqlglot writes PERCENTILE_CONT(x, p), which Spark refuses; Spark's
        # exact percentile(x, p) is the same interpolated quantile.
        if isinstance(node, exp.Quantile | exp.PercentileCont) and node.args.get("quantile") is not None:
            return exp.Anonymous(this="percentile", expressions=[node.this, node.args["quantile"]])
        return node

    tree = sqlglot.parse_one(text, read="duckdb")
    return tree.transform(fix).sql(dialect="spark")


@dataclass
class SparkConnection:
    """A Spark session with the outcomes tables registered as temporary views."""

    session: Any
    source: str  # the Parquet directory or the catalog database, for messages

    def run(self, text: str, bound: dict[str, Any]) -> pd.DataFrame:
        frame = self.session.sql(translate(text), args=_spark_args(bound)).toPandas()
        return _like_duckdb(frame)

    def close(self) -> None:  # sessions are shared by the process; nothing to close per connection
        return None


_LOCK = threading.Lock()

# Spark settings for a few thousand patients on one machine (the tests): one shuffle partition,
# no generated Java code (whole-stage or per expression: compiling it costs more than it saves on
# small data), no adaptive execution (its re-planning between stages, likewise). Five queries of
# the parity test took 27 s of CPU with them, 37 s without. Wrong for a cluster's large tables, so
# never the default: PTS_SPARK_CONF (or connect's `conf`) applies them.
SMALL_DATA = {
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
}


def settings(text: str) -> dict[str, str]:
    """PTS_SPARK_CONF's Spark settings: `key=value` pairs separated by spaces."""
    out = {}
    for pair in text.split():
        key, sep, value = pair.partition("=")
        if not (sep and key.startswith("spark.") and value):
            raise SparkUnavailable(f"PTS_SPARK_CONF: {pair!r} is not a Spark setting written key=value (spark.…=…).")
        out[key] = value
    return out


def connect(
    folder: Path | None = None,
    database: str | None = None,
    master: str | None = None,
    conf: dict[str, str] | None = None,
) -> SparkConnection:
    """A Spark session (local mode unless PTS_SPARK_MASTER says otherwise) reading the outcomes
    tables from a Parquet directory, or from the tables of a catalog database; PTS_SPARK_CONF's
    settings, then `conf`, over the defaults."""
    check_available()
    from pyspark.sql import SparkSession

    from pts_explorer.db import OPTIONAL_TABLES, column_order, parquet_tables

    with _LOCK:
        builder = (
            SparkSession.builder.appName("pts-explorer")
            .master(master or os.environ.get("PTS_SPARK_MASTER", "local[2]"))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", os.environ.get("PTS_SPARK_PARTITIONS", "4"))
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.driver.memory", os.environ.get("PTS_SPARK_MEMORY", "2g"))
        )
        for key, value in {**settings(os.environ.get("PTS_SPARK_CONF", "")), **(conf or {})}.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        if database:
            for table in vocab.CONTRACT_TABLES + tuple(OPTIONAL_TABLES):
                if session.catalog.tableExists(f"{database}.{table}"):
                    session.table(f"{database}.{table}").createOrReplaceTempView(table)
            return SparkConnection(session, database)
        if folder is None:
            raise SparkUnavailable("PTS_ENGINE=spark needs PTS_DB to name a Parquet directory or PTS_SPARK_DATABASE.")
        found, order = parquet_tables(folder), column_order(folder)
        for table, pattern in found.items():
            frame = session.read.parquet(pattern.removesuffix("/**/*.parquet"))
            (frame.select(*order[table]) if table in order else frame).createOrReplaceTempView(table)
        for table, columns in OPTIONAL_TABLES.items():  # as on DuckDB: an empty table of the same shape
            if table not in found:
                session.sql(translate(f"SELECT {columns} WHERE FALSE")).createOrReplaceTempView(table)
        return SparkConnection(session, str(folder))


def _spark_args(bound: dict[str, Any]) -> dict[str, Any]:
    """Parameters as Spark binds them: lists as lists, numpy scalars as Python ones."""
    out = {}
    for key, value in bound.items():
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out


def _like_duckdb(frame: pd.DataFrame) -> pd.DataFrame:
    """Spark's pandas types where DuckDB's differ: dates as datetime64, decimals as floats."""
    import datetime
    import decimal

    for column in frame.columns:
        values = frame[column].dropna()
        if frame[column].dtype == object and len(values):
            first = values.iloc[0]
            if isinstance(first, datetime.date) and not isinstance(first, datetime.datetime):
                frame[column] = pd.to_datetime(frame[column])
            elif isinstance(first, decimal.Decimal):
                frame[column] = frame[column].astype(float)
    return frame
