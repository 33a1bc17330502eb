import shutil
from collections.abc import Iterator

import pytest
from slurm_cluster import SlurmCluster, missing_binaries, start_cluster


@pytest.fixture(scope="module")
def slurm() -> Iterator[SlurmCluster]:
    """A single-node Slurm cluster on localhost for the module (tests/launch/slurm_cluster.py);
    the test is skipped when Slurm is not installed."""
    missing = missing_binaries()
    if missing:
        pytest.skip(f"Slurm is not installed (no {', '.join(missing)}): scripts/system-deps.sh "
                    "installs Debian's munge, slurmctld, slurmd and slurm-client")
    cluster = start_cluster()
    yield cluster
    cluster.stop()
    shutil.rmtree(cluster.root, ignore_errors=True)
