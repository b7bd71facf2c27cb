"""Dagster's storage migration scripts read once per process, not at every check of a database.

Opening a Dagster instance checks each of its storages' databases against the newest migration (alembic),
and a new database is stamped with it: each check and each stamp makes a new `ScriptDirectory`, which
reads and runs every migration script of its folder again (623 script loads a new SQLite home, about
0.3 CPU-second a build process, and each `materialize` of a test on a new instance). The scripts are
files of the installed Dagster, which does not change under a running process: `keep_migration_scripts()`
makes every `ScriptDirectory` of the same folders share the first one's map of revisions. Which revision
a database holds is still read from the database at every check.
"""

from __future__ import annotations

import threading

from alembic.script import ScriptDirectory

_MAPS: dict[tuple, object] = {}  # the revision map of each scripts folder (and its options), as first read
_LOCK = threading.Lock()
_FROM_CONFIG = ScriptDirectory.from_config.__func__  # alembic's own


def _from_config(cls: type[ScriptDirectory], config) -> ScriptDirectory:
    script = _FROM_CONFIG(cls, config)
    versions = tuple(script.version_locations or ())
    key = (script.dir, versions, script.sourceless, script.recursive_version_locations)
    with _LOCK:
        script.revision_map = _MAPS.setdefault(key, script.revision_map)
    return script


def keep_migration_scripts() -> None:
    """From now on in this process, a scripts folder's migrations are read at their first use only."""
    ScriptDirectory.from_config = classmethod(_from_config)
