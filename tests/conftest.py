import os

import pytest

# Tests never touch the internet: the Hub client is pointed at nothing unless a test starts a server.
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TQDM_DISABLE", "1")
# The tests' models are tiny: one intra-op thread is as fast, and a second one spinning beside another
# busy process slowed a 250-step test fifty-fold. Subprocesses inherit the same setting.
os.environ.setdefault("OMP_NUM_THREADS", "1")


def pytest_configure(config):
    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


@pytest.fixture(autouse=True)
def _isolated_hf_home(tmp_path, monkeypatch):
    """Every test gets its own empty Hugging Face cache and offline mode, unless it overrides them."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    yield


@pytest.fixture
def hf(monkeypatch, tmp_path):
    """A fresh cache for the already-imported huggingface_hub, offline: `hf.online(url)` points the client at
    a loopback server, `hf.offline()` back; `hf.cache_dir` is the cache. Short client timeouts, so that a
    test of a stalled or absent server takes seconds."""
    import huggingface_hub.constants as constants

    cache = tmp_path / "hf-cache"
    cache.mkdir()
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "2")
    monkeypatch.setenv("HF_HUB_DOWNLOAD_TIMEOUT", "2")

    class Switch:
        cache_dir = cache

        def online(self, url: str) -> None:
            monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
            monkeypatch.setenv("HF_ENDPOINT", url)

        def offline(self) -> None:
            monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)

    switch = Switch()
    switch.offline()
    return switch

