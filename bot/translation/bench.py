"""How fast translation is, without and with the cache (``lotse translate bench``)."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from bot.translation.service import TranslationService

SAMPLE = (
    "Hello, how are you?",
    "I need help with my residence permit.",
    "My family wants to come to Germany.",
    "Where can I find a flat after recognition?",
    "The deadline for the appeal is two weeks.",
    "Can my children go to school here?",
    "Thank you very much for the information.",
    "When can I apply for naturalization?",
)


@dataclass(frozen=True, slots=True)
class BenchReport:
    engine: str
    source: str
    target: str
    texts: int
    uncached_per_s: float
    uncached_p50_ms: float
    uncached_max_ms: float
    cached_per_s: float

    @property
    def speedup(self) -> float:
        return self.cached_per_s / self.uncached_per_s if self.uncached_per_s else 0.0

    def describe(self) -> str:
        return (
            f"{self.engine} {self.source} → {self.target}, {self.texts} translations each:\n"
            f"  without cache: {self.uncached_per_s:.1f}/s (p50 {self.uncached_p50_ms:.1f} ms, "
            f"max {self.uncached_max_ms:.1f} ms)\n"
            f"  with cache:    {self.cached_per_s:.0f}/s ({self.speedup:.0f}x)"
        )


def benchmark(
    service: TranslationService,
    *,
    source: str = "en",
    target: str = "de",
    texts: tuple[str, ...] = SAMPLE,
    rounds: int = 3,
) -> BenchReport:
    """Translate ``texts`` ``rounds`` times with an empty cache each round, then from the cache.

    The first translation (model loading) is made before timing starts.
    """
    service.translate("warm up.", source=source, target=target)
    latencies: list[float] = []
    start = time.perf_counter()
    for _ in range(rounds):
        service.clear_cache()
        for text in texts:
            t0 = time.perf_counter()
            service.translate(text, source=source, target=target)
            latencies.append(time.perf_counter() - t0)
    uncached = time.perf_counter() - start
    n_cached = len(texts) * rounds * 20
    start = time.perf_counter()
    for _ in range(rounds * 20):
        for text in texts:
            service.translate(text, source=source, target=target)
    cached = time.perf_counter() - start
    return BenchReport(
        engine=service.engine,
        source=source,
        target=target,
        texts=len(latencies),
        uncached_per_s=len(latencies) / uncached,
        uncached_p50_ms=statistics.median(latencies) * 1000,
        uncached_max_ms=max(latencies) * 1000,
        cached_per_s=n_cached / cached,
    )
