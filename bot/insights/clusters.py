"""Recurring questions that Lotse could not answer well, grouped across languages.

No sentence-embedding model can ship with Lotse (none is available offline), so questions are
compared by character n-grams (TF-IDF, ``char_wb`` 2–4, cosine). Where a machine translation into
German is available (:data:`Translator`), the German text is what is compared, which puts every
language into one space; without it the original texts are compared, and questions in different
languages meet only where they share words (German loanwords such as "Krankenkasse" or
"Jobcenter", names, abbreviations) — otherwise each language forms its own cluster.

Clustering: identical normalised texts are counted once; up to :data:`DIRECT_LIMIT` distinct texts
are grouped directly by average-linkage agglomerative clustering on cosine distances (cut at
:data:`DISTANCE`). Above that the texts are first split into buckets of a few hundred by
MiniBatchKMeans on a 64-dimensional TruncatedSVD of the TF-IDF matrix, and each bucket is grouped
the same way: linear in the number of texts, so 100,000 questions cluster in seconds to tens of
seconds (``lotse questions cluster-bench``). Similar questions that k-means put into two buckets
stay two clusters — the price of scaling.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.analytics.models import QuestionLog
from bot.analytics.service import normalize_question
from bot.content.models import ContentItem, ContentTranslation

Translator = Callable[[str, str], str | None]
"""``(text, language) -> German text``, or None where no translation is available."""

LOW_CONFIDENCE = 0.85
"""Answered questions whose intent confidence was below this count as "low confidence" (Rasa asks back
below 0.8, so this catches the answers that only just passed)."""
DISTANCE = 0.8
"""Average cosine distance (1 − similarity) at which two groups are no longer merged."""
DIRECT_LIMIT = 1500
"""Up to this many distinct texts are clustered in one step; more are split into buckets first."""
BUCKET = 300
"""Target bucket size for the k-means split of large logs."""
MIN_SIZE = 3
"""A cluster needs at least this many questions to be reported as recurring."""
IGNORED_INTENTS = ("greet", "goodbye", "thanks")
ANSWER_PREFIX = "utter_"


@dataclass(frozen=True, slots=True)
class Question:
    day: date
    language: str
    text: str
    normalized: str
    content_key: str | None = None
    answered: bool = False
    confidence: float | None = None


@dataclass
class NearestAnswer:
    key: str
    intent: str
    """The retrieval intent the answer belongs to (``utter_faq_x/y`` → ``faq_x/y``)."""
    similarity: float
    how: str
    """``content`` (closest content text by the same vectors) or ``log`` (most frequent answer the log
    recorded for these questions)."""


@dataclass
class Cluster:
    size: int
    languages: dict[str, int]
    this_week: int
    last_week: int
    examples: list[tuple[str, str, int]]
    """Up to 5 (language, redacted text, count), the most central first, languages mixed."""
    texts: list[tuple[str, str, int]]
    """Every distinct (language, text, count), most central first (at most 50): what can be staged."""
    nearest: NearestAnswer | None
    logged_answer: NearestAnswer | None
    cohesion: float
    """Mean cosine similarity of the members to the cluster's centre."""

    @property
    def trend(self) -> int:
        return self.this_week - self.last_week


@dataclass
class ClusterResult:
    clusters: list[Cluster]
    questions: int
    distinct: int
    translated: int
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict)


def low_confidence_questions(
    session: Session, *, start: date, end: date, threshold: float = LOW_CONFIDENCE, limit: int = 200_000
) -> list[Question]:
    """Unanswered questions and answered ones with an intent confidence below ``threshold`` (or
    Rasa's ``nlu_fallback``) of the redacted question log, newest first."""
    rows = session.execute(
        select(
            QuestionLog.day,
            QuestionLog.language,
            QuestionLog.text_redacted,
            QuestionLog.normalized,
            QuestionLog.content_key,
            QuestionLog.answered,
            QuestionLog.confidence,
        )
        .where(
            QuestionLog.day >= start,
            QuestionLog.day <= end,
            or_(QuestionLog.intent.is_(None), QuestionLog.intent.not_in(IGNORED_INTENTS)),
            or_(
                QuestionLog.answered.is_(False),
                QuestionLog.confidence < threshold,
                QuestionLog.intent == "nlu_fallback",
            ),
        )
        .order_by(QuestionLog.id.desc())
        .limit(limit)
    ).all()
    return [Question(*row) for row in rows]


def _vectorizer(distinct: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 4),
        sublinear_tf=True,
        min_df=2 if distinct > 5000 else 1,
        max_features=2**18,
        dtype=np.float32,
    )


def _agglomerate(matrix: Any, distance: float) -> np.ndarray[Any, Any]:
    """Average-linkage clusters of the (L2-normalised) rows, cut at ``distance``."""
    n = matrix.shape[0]
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    similarity = matrix @ matrix.T
    dense = similarity.toarray() if hasattr(similarity, "toarray") else np.asarray(similarity)
    dist = np.clip(1.0 - dense, 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=distance
    )
    return np.asarray(model.fit_predict(dist), dtype=np.int64)


def cluster_matrix(matrix: Any, *, distance: float = DISTANCE, seed: int = 0) -> np.ndarray[Any, Any]:
    """A cluster label for every row of a TF-IDF matrix (rows L2-normalised)."""
    n = matrix.shape[0]
    if n <= DIRECT_LIMIT:
        return _agglomerate(matrix, distance)
    components = min(64, matrix.shape[1] - 1)
    reduced = normalize(TruncatedSVD(n_components=components, random_state=seed).fit_transform(matrix))
    labels = np.full(n, -1, dtype=np.int64)
    next_label = 0
    pending = [np.arange(n)]
    while pending:
        rows = pending.pop()
        if len(rows) <= DIRECT_LIMIT:
            sub = _agglomerate(matrix[rows], distance)
            labels[rows] = sub + next_label
            next_label += int(sub.max()) + 1
            continue
        k = max(2, len(rows) // BUCKET)
        buckets = MiniBatchKMeans(
            n_clusters=k, batch_size=4096, n_init=1, random_state=seed, max_no_improvement=5
        ).fit_predict(reduced[rows])
        if len(set(buckets.tolist())) == 1:  # k-means could not split it: cut it into halves
            buckets = np.arange(len(rows)) * 2 // len(rows)
        pending.extend(rows[buckets == b] for b in np.unique(buckets))
    return labels


def retrieval_intent(key: str) -> str:
    """``utter_faq_housing/deposit`` → ``faq_housing/deposit``."""
    return key.removeprefix(ANSWER_PREFIX)


def content_texts(session: Session, languages: Sequence[str] | None = None) -> list[tuple[str, str]]:
    """(key, text) of the newest text of every factual answer (retrieval intents ``utter_faq_*``),
    in the given languages and German."""
    wanted = {"de", *(languages or [])}
    rows = session.execute(
        select(
            ContentItem.key, ContentTranslation.language, ContentTranslation.version, ContentTranslation.text
        )
        .join(ContentTranslation, ContentTranslation.item_id == ContentItem.id)
        .where(ContentItem.key.like("utter_faq_%"), ContentTranslation.language.in_(sorted(wanted)))
    ).all()
    newest: dict[tuple[str, str], tuple[int, str]] = {}
    for key, language, version, text in rows:
        if (key, language) not in newest or newest[(key, language)][0] < version:
            newest[(key, language)] = (version, text)
    return [(key, text) for (key, _), (_, text) in sorted(newest.items())]


def cluster_questions(
    questions: Sequence[Question],
    *,
    today: date,
    translate: Translator | None = None,
    content: Sequence[tuple[str, str]] = (),
    min_size: int = MIN_SIZE,
    distance: float = DISTANCE,
    max_translate: int = 1000,
    limit: int = 50,
) -> ClusterResult:
    """Group ``questions`` into recurring clusters (largest first, at most ``limit``)."""
    started = time.perf_counter()
    groups: dict[tuple[str, str], list[Question]] = defaultdict(list)
    for q in questions:
        groups[(q.language, q.normalized or normalize_question(q.text))].append(q)
    keys = list(groups)
    features: list[str] = []
    translated = 0
    for language, norm in keys:
        text = norm
        if translate is not None and language != "de" and translated < max_translate:
            german = translate(groups[(language, norm)][0].text, language)
            if german:
                text = normalize_question(german)
                translated += 1
        features.append(text)
    result = ClusterResult([], len(questions), len(keys), translated, 0.0)
    if not keys:
        result.seconds = time.perf_counter() - started
        return result
    vectorizer = _vectorizer(len(keys))
    try:
        matrix = vectorizer.fit_transform(features)
    except ValueError:  # nothing but empty texts (or n-grams all below min_df)
        result.seconds = time.perf_counter() - started
        return result
    vectorized = time.perf_counter()
    labels = cluster_matrix(matrix, distance=distance)
    result.stats["vectorize_s"] = round(vectorized - started, 2)
    result.stats["cluster_s"] = round(time.perf_counter() - vectorized, 2)

    members: dict[int, list[int]] = defaultdict(list)
    for row, label in enumerate(labels.tolist()):
        members[label].append(row)
    sizes = {label: sum(len(groups[keys[r]]) for r in rows) for label, rows in members.items()}
    chosen = sorted((lb for lb in members if sizes[lb] >= min_size), key=lambda lb: (-sizes[lb], lb))[:limit]

    content_matrix = vectorizer.transform([text for _, text in content]) if content else None
    week_start = today - timedelta(days=6)
    prev_start = today - timedelta(days=13)
    for label in chosen:
        rows = members[label]
        sub = matrix[rows]
        centre = np.asarray(sub.mean(axis=0)).ravel()
        length = float(np.linalg.norm(centre)) or 1.0
        centre = centre / length
        closeness = np.asarray(sub @ centre).ravel()
        order = [rows[i] for i in np.argsort(-closeness, kind="stable")]
        qs = [q for r in rows for q in groups[keys[r]]]
        languages = Counter(q.language for q in qs)
        texts = [(keys[r][0], groups[keys[r]][0].text, len(groups[keys[r]])) for r in order][:50]
        result.clusters.append(
            Cluster(
                size=len(qs),
                languages=dict(languages.most_common()),
                this_week=sum(1 for q in qs if week_start <= q.day <= today),
                last_week=sum(1 for q in qs if prev_start <= q.day < week_start),
                examples=_mixed_examples(texts),
                texts=texts,
                nearest=_nearest(content, content_matrix, centre),
                logged_answer=_logged(qs),
                cohesion=round(float(closeness.mean()), 3),
            )
        )
    result.seconds = time.perf_counter() - started
    return result


def _mixed_examples(texts: list[tuple[str, str, int]], n: int = 5) -> list[tuple[str, str, int]]:
    """The most central texts, taking one per language in turn so that every language shows."""
    by_language: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for entry in texts:
        by_language[entry[0]].append(entry)
    picked: list[tuple[str, str, int]] = []
    while len(picked) < n and any(by_language.values()):
        for language in list(by_language):
            if by_language[language] and len(picked) < n:
                picked.append(by_language[language].pop(0))
    return picked


def _nearest(
    content: Sequence[tuple[str, str]], matrix: Any, centre: np.ndarray[Any, Any]
) -> NearestAnswer | None:
    if matrix is None or matrix.shape[0] == 0:
        return None
    scores = np.asarray(matrix @ centre).ravel()
    best = int(np.argmax(scores))
    key = content[best][0]
    return NearestAnswer(key, retrieval_intent(key), round(float(scores[best]), 3), "content")


def _logged(qs: Sequence[Question]) -> NearestAnswer | None:
    keys = Counter(q.content_key for q in qs if q.content_key and q.content_key.startswith("utter_faq_"))
    if not keys:
        return None
    key, count = keys.most_common(1)[0]
    return NearestAnswer(key, retrieval_intent(key), round(count / len(qs), 3), "log")


# ---------------------------------------------------------------------- benchmark

_BENCH_TOPICS: dict[str, dict[str, list[str]]] = {
    "de": {
        "subject": [
            "Krankenversicherung",
            "Kindergeld",
            "Führerschein",
            "Sprachkurs",
            "Wohngeld",
            "Arbeitserlaubnis",
            "Reisepass",
            "Bankkonto",
            "Kita-Platz",
            "Rundfunkbeitrag",
            "Mietvertrag",
            "Schulanmeldung",
            "Jobcenter-Termin",
            "Aufenthaltstitel",
            "Steuer-ID",
        ],
        "frame": [
            "Wie bekomme ich {s}?",
            "Wo beantrage ich {s} in {p}?",
            "Was kostet {s}?",
            "Brauche ich für {s} einen Termin?",
            "Wie lange dauert {s} in {p}?",
            "Welche Unterlagen brauche ich für {s}?",
            "Kann ich {s} online machen?",
        ],
    },
    "en": {
        "subject": [
            "health insurance",
            "child benefit",
            "driving licence",
            "language course",
            "housing benefit",
            "work permit",
            "passport",
            "bank account",
            "kindergarten place",
            "TV licence fee",
            "rental contract",
            "school registration",
            "job centre appointment",
            "residence title",
            "tax ID",
        ],
        "frame": [
            "How do I get {s}?",
            "Where do I apply for {s} in {p}?",
            "How much does {s} cost?",
            "Do I need an appointment for {s}?",
            "How long does {s} take in {p}?",
            "What documents do I need for {s}?",
            "Can I do {s} online?",
        ],
    },
    "tr": {
        "subject": [
            "sağlık sigortası",
            "çocuk parası",
            "ehliyet",
            "dil kursu",
            "kira yardımı",
            "çalışma izni",
            "pasaport",
            "banka hesabı",
            "kreş yeri",
            "yayın ücreti",
            "kira sözleşmesi",
            "okul kaydı",
            "Jobcenter randevusu",
            "oturum izni",
            "vergi numarası",
        ],
        "frame": [
            "{s} nasıl alınır?",
            "{p} şehrinde {s} için nereye başvurmalıyım?",
            "{s} ne kadar?",
            "{s} için randevu gerekli mi?",
            "{p} şehrinde {s} ne kadar sürer?",
            "{s} için hangi belgeler lazım?",
            "{s} internetten yapılabilir mi?",
        ],
    },
    "ar": {
        "subject": [
            "التأمين الصحي",
            "إعانة الأطفال",
            "رخصة القيادة",
            "دورة اللغة",
            "إعانة السكن",
            "تصريح العمل",
            "جواز السفر",
            "حساب بنكي",
            "مكان في الروضة",
            "رسوم الإذاعة",
            "عقد الإيجار",
            "تسجيل المدرسة",
            "موعد الجوب سنتر",
            "تصريح الإقامة",
            "الرقم الضريبي",
        ],
        "frame": [
            "كيف أحصل على {s}؟",
            "أين أقدم طلب {s} في {p}؟",
            "كم تكلفة {s}؟",
            "هل أحتاج موعد من أجل {s}؟",
            "كم يستغرق {s} في {p}؟",
            "ما هي الأوراق المطلوبة ل{s}؟",
            "هل يمكن {s} عبر الانترنت؟",
        ],
    },
}
_BENCH_PLACES = ["Erfurt", "Jena", "Gera", "Weimar", "Gotha", "Suhl", "Eisenach", "Nordhausen", "Altenburg"]
_BENCH_FILLERS = ["", "bitte", "please", "dringend", "urgent", "danke", "lütfen", "من فضلك", "?", "!!"]


def synthetic_questions(n: int, *, today: date, seed: int = 0) -> list[Question]:
    """``n`` varied questions in four languages (templates × subjects × places × fillers × typos)
    spread over the last 28 days, for the clustering benchmark."""
    rng = random.Random(seed)
    languages = list(_BENCH_TOPICS)
    out: list[Question] = []
    for _ in range(n):
        language = rng.choice(languages)
        data = _BENCH_TOPICS[language]
        text = rng.choice(data["frame"]).format(s=rng.choice(data["subject"]), p=rng.choice(_BENCH_PLACES))
        if rng.random() < 0.5:
            text = f"{text} {rng.choice(_BENCH_FILLERS)}".strip()
        if rng.random() < 0.4 and len(text) > 8:  # a typo: drop or double a letter
            i = rng.randrange(1, len(text) - 1)
            text = text[:i] + text[i + 1 :] if rng.random() < 0.5 else text[:i] + text[i] + text[i:]
        if rng.random() < 0.3:
            text = f"{text} {rng.randrange(1, 100)}"
        out.append(
            Question(
                day=today - timedelta(days=rng.randrange(28)),
                language=language,
                text=text,
                normalized=normalize_question(text),
            )
        )
    return out
