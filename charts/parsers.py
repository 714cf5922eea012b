"""Chart feed parsers: one small parser per wire format behind one interface.

Every parser turns the raw bytes of a feed into a `ParsedFeed` (feed-level country, kind,
update time, and the entries in rank order) or raises `FeedParseError` with a message an
editor can act on. `validate_feed` then checks what makes a feed unusable as a snapshot
(empty, duplicate positions, another country). Nothing here touches Django or the network,
so the same code serves the HTTP pull, the CSV backfill command and the tests.

Sources (the `Chart.source` values):
- ``apple_music``: Apple Music RSS v2 JSON (rss.applemarketingtools.com/api/v2/...).
- ``apple_music_v1``: the older v1 JSON (rss.itunes.apple.com/api/v1/...), same shape.
- ``itunes_rss``: the legacy iTunes RSS JSON (itunes.apple.com/<cc>/rss/topsongs/...).
- ``spotify_csv``: Spotify Charts CSV downloads, both the spotifycharts.com format
  (optional notice line, ``Position,Track Name,Artist,Streams,URL``, optionally a ``Date``
  column) and the charts.spotify.com format (``rank,uri,artist_names,track_name,...``).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

SOURCE_APPLE_MUSIC = "apple_music"
SOURCE_APPLE_MUSIC_V1 = "apple_music_v1"
SOURCE_ITUNES_RSS = "itunes_rss"
SOURCE_SPOTIFY_CSV = "spotify_csv"
# Our own charts, computed from our listening (charts.services.platform): no feed to parse.
SOURCE_PLATFORM = "platform"

MAX_POSITION = 10_000

KIND_SONGS = "songs"
KIND_ALBUMS = "albums"
KIND_ARTISTS = "artists"  # platform artist charts: each entry is one catalog artist


class FeedError(ValueError):
    """A feed that cannot become a snapshot. The message is shown to staff as is."""


class FeedParseError(FeedError):
    """The payload is not a readable feed of the expected format."""


class FeedValidationError(FeedError):
    """The feed parsed but its content is not acceptable as a snapshot."""


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedEntry:
    position: int
    title: str
    artist_name: str
    external_id: str = ""
    artist_external_id: str = ""
    isrc: str = ""  # when the source gives one: a catalog match key of its own
    streams: int | None = None
    url: str = ""
    artwork: str = ""
    explicit: bool | None = None
    genres: tuple[str, ...] = ()
    release_date: date | None = None
    # Only for files that hold several days (a `Date` column); None otherwise.
    chart_date: date | None = None
    # Source-specific values we keep but do not model (label, the source's own trend data).
    extra: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class ParsedFeed:
    source: str
    entries: list[ParsedEntry]
    country: str = ""  # lower-case ISO 3166 code, "global", or "" when the feed does not say
    kind: str = ""  # KIND_SONGS / KIND_ALBUMS, "" when unknown
    updated: datetime | None = None
    title: str = ""
    # Rows dropped because a required value was blank (only with skip_incomplete=True).
    skipped: int = 0

    @property
    def chart_date(self) -> date | None:
        """The date the feed itself states (its `updated` time, in the feed's own offset)."""
        return self.updated.date() if self.updated else None

    def split_by_date(self) -> dict[date, ParsedFeed]:
        """Group a multi-day file (entries with `chart_date`) into one feed per day."""
        by_date: dict[date, list[ParsedEntry]] = defaultdict(list)
        for entry in self.entries:
            if entry.chart_date is None:
                raise FeedParseError("the file has rows without a date")
            by_date[entry.chart_date].append(entry)
        return {
            day: dataclasses.replace(self, entries=entries, skipped=0)
            for day, entries in sorted(by_date.items())
        }


class ChartParser(Protocol):
    source: str

    def parse(
        self, payload: bytes | str, *, filename: str = "", skip_incomplete: bool = False
    ) -> ParsedFeed: ...


# --------------------------------------------------------------------------- helpers


def _text(payload: bytes | str) -> str:
    if isinstance(payload, bytes):
        try:
            return payload.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FeedParseError(f"the feed is not UTF-8 text ({exc.reason})") from exc
    return payload.removeprefix("\ufeff")


def _load_json_feed(payload: bytes | str) -> dict[str, Any]:
    try:
        document = json.loads(_text(payload))
    except json.JSONDecodeError as exc:
        raise FeedParseError(f"malformed JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("feed"), dict):
        raise FeedParseError("malformed feed: no 'feed' object at the top level")
    return document["feed"]


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):  # legacy iTunes wraps values as {"label": ...}
        value = value.get("label", "")
    return str(value).strip()


def _parse_datetime(value: str) -> datetime | None:
    """ISO 8601 (v1, legacy) or RFC 2822 (v2); None when absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def _parse_date(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _explicit_from_rating(value: Any) -> bool:
    # Apple writes "Explict" (sic) in v2 feeds and "Explicit" in v1; "Clean" or a missing
    # key means not explicit.
    return str(value or "").strip().lower().startswith("expl")


def _normalise_kind(value: str) -> str:
    value = (value or "").strip().lower()
    if value in {"song", "songs", "track", "tracks", "music-video"}:
        return KIND_SONGS
    if value in {"album", "albums"}:
        return KIND_ALBUMS
    return ""


_ID_IN_URL = re.compile(r"/(?:id)?(\d+)(?:[/?#]|$)")
_COUNTRY_IN_APPLE_URL = re.compile(r"apple\.com/(?:api/v\d/)?([a-z]{2})/", re.IGNORECASE)
_COUNTRY_PARAM = re.compile(r"[?&]cc=([a-z]{2})\b", re.IGNORECASE)


def _incomplete(
    position: int, required: Iterable[tuple[str, str]], *, skip: bool, where: str = ""
) -> bool:
    """Whether an entry lacks a required (name, value) and is to be skipped (``skip``);
    without ``skip``, such an entry is a FeedParseError naming what is missing."""
    missing = [name for name, value in required if not value]
    if not missing:
        return False
    if skip:
        return True
    raise FeedParseError(f"{where}entry at position {position}: missing {', '.join(missing)}")


# --------------------------------------------------------------------------- Apple v1/v2


class AppleMusicParser:
    """Apple Music RSS v2 JSON; `feed.results` in rank order, no rank field."""

    source = SOURCE_APPLE_MUSIC

    def parse(
        self, payload: bytes | str, *, filename: str = "", skip_incomplete: bool = False
    ) -> ParsedFeed:
        feed = _load_json_feed(payload)
        results = feed.get("results")
        if results is None:
            raise FeedParseError("malformed feed: no 'feed.results' list")
        if not isinstance(results, list):
            raise FeedParseError("malformed feed: 'feed.results' is not a list")

        entries: list[ParsedEntry] = []
        kinds: Counter[str] = Counter()
        skipped = 0
        for index, item in enumerate(results):
            position = index + 1
            if not isinstance(item, dict):
                raise FeedParseError(f"entry at position {position} is not an object")
            title, artist, item_id = (
                _str(item.get("name")),
                _str(item.get("artistName")),
                _str(item.get("id")),
            )
            required = (("name", title), ("artistName", artist), ("id", item_id))
            if _incomplete(position, required, skip=skip_incomplete):
                skipped += 1
                continue
            kinds[_normalise_kind(_str(item.get("kind")))] += 1
            genres = item.get("genres") or []
            entries.append(
                ParsedEntry(
                    position=position,
                    title=title,
                    artist_name=artist,
                    external_id=item_id,
                    artist_external_id=_str(item.get("artistId")),
                    url=_str(item.get("url")),
                    artwork=_str(item.get("artworkUrl100")),
                    explicit=_explicit_from_rating(item.get("contentAdvisoryRating")),
                    genres=tuple(
                        _str(g.get("name")) if isinstance(g, dict) else _str(g) for g in genres if g
                    ),
                    release_date=_parse_date(_str(item.get("releaseDate"))),
                )
            )
        country = _str(feed.get("country")).lower()
        if not country:
            match = _COUNTRY_IN_APPLE_URL.search(_str(feed.get("id")))
            country = match.group(1).lower() if match else ""
        return ParsedFeed(
            source=self.source,
            entries=entries,
            country=country,
            kind=kinds.most_common(1)[0][0] if kinds else "",
            updated=_parse_datetime(_str(feed.get("updated"))),
            title=_str(feed.get("title")),
            skipped=skipped,
        )


class AppleMusicV1Parser(AppleMusicParser):
    """The v1 feed has the same `feed.results` shape; only `updated` is ISO 8601."""

    source = SOURCE_APPLE_MUSIC_V1


# --------------------------------------------------------------------------- legacy iTunes


class ItunesRssParser:
    """Legacy iTunes RSS JSON: `feed.entry` with `im:name`, `im:artist`, `id` ..."""

    source = SOURCE_ITUNES_RSS

    def parse(
        self, payload: bytes | str, *, filename: str = "", skip_incomplete: bool = False
    ) -> ParsedFeed:
        feed = _load_json_feed(payload)
        raw_entries = feed.get("entry")
        if raw_entries is None:
            raise FeedParseError("malformed feed: no 'feed.entry' list")
        if isinstance(raw_entries, dict):  # a one-entry feed is not wrapped in a list
            raw_entries = [raw_entries]
        if not isinstance(raw_entries, list):
            raise FeedParseError("malformed feed: 'feed.entry' is not a list")

        entries: list[ParsedEntry] = []
        kinds: Counter[str] = Counter()
        skipped = 0
        for index, item in enumerate(raw_entries):
            position = index + 1
            if not isinstance(item, dict):
                raise FeedParseError(f"entry at position {position} is not an object")
            artist_obj = item.get("im:artist") or {}
            id_obj = item.get("id") or {}
            title = _str(item.get("im:name"))
            artist = _str(artist_obj)
            item_id = _str((id_obj.get("attributes") or {}).get("im:id")) if id_obj else ""
            required = (
                ("im:name", title),
                ("im:artist", artist),
                ("id.attributes.im:id", item_id),
            )
            if _incomplete(position, required, skip=skip_incomplete):
                skipped += 1
                continue

            artist_href = _str((artist_obj.get("attributes") or {}).get("href"))
            artist_id_match = _ID_IN_URL.search(artist_href)
            images = [i for i in item.get("im:image") or [] if isinstance(i, dict)]
            largest = max(
                images,
                key=lambda i: int(_str((i.get("attributes") or {}).get("height")) or 0),
                default=None,
            )
            category = (item.get("category") or {}).get("attributes") or {}
            content_type = (item.get("im:contentType") or {}).get("im:contentType") or {}
            kinds[_normalise_kind(_str((content_type.get("attributes") or {}).get("term")))] += 1
            entries.append(
                ParsedEntry(
                    position=position,
                    title=title,
                    artist_name=artist,
                    external_id=item_id,
                    artist_external_id=artist_id_match.group(1) if artist_id_match else "",
                    url=_str(id_obj) or self._alternate_link(item.get("link")),
                    artwork=_str(largest) if largest else "",
                    # The legacy format carries no explicit flag.
                    explicit=None,
                    genres=(_str(category.get("label")),) if category.get("label") else (),
                    release_date=_parse_date(_str(item.get("im:releaseDate"))),
                )
            )
        return ParsedFeed(
            source=self.source,
            entries=entries,
            country=self._country(feed),
            kind=kinds.most_common(1)[0][0] if kinds else "",
            updated=_parse_datetime(_str(feed.get("updated"))),
            title=_str(feed.get("title")),
            skipped=skipped,
        )

    @staticmethod
    def _alternate_link(links: Any) -> str:
        if isinstance(links, dict):
            links = [links]
        for link in links or []:
            attributes = link.get("attributes") or {} if isinstance(link, dict) else {}
            if attributes.get("rel") == "alternate":
                return _str(attributes.get("href"))
        return ""

    @staticmethod
    def _country(feed: dict[str, Any]) -> str:
        # The feed id is ".../us/rss/topsongs/..." on itunes.apple.com but has no country
        # on the ax.itunes.apple.com mirror; the "alternate" link then has `cc=us`.
        candidates = [_str(feed.get("id"))]
        links = feed.get("link") or []
        if isinstance(links, dict):
            links = [links]
        candidates += [
            _str((link.get("attributes") or {}).get("href"))
            for link in links
            if isinstance(link, dict)
        ]
        for url in candidates:
            match = re.search(r"itunes\.apple\.com/([a-z]{2})/rss/", url, re.IGNORECASE)
            if match:
                return match.group(1).lower()
        for url in candidates:
            match = _COUNTRY_PARAM.search(url)
            if match:
                return match.group(1).lower()
        return ""


# --------------------------------------------------------------------------- Spotify CSV

# Header aliases (lower-cased) -> our field names. The first alias found wins.
_SPOTIFY_COLUMNS: dict[str, tuple[str, ...]] = {
    "position": ("position", "rank"),
    "title": ("track name", "track_name"),
    "artist": ("artist", "artist_names"),
    "streams": ("streams",),
    "url": ("url", "uri"),
    "date": ("date",),
}
_SPOTIFY_EXTRA = ("source", "peak_rank", "previous_rank", "days_on_chart", "weeks_on_chart")
_SPOTIFY_TRACK_ID = re.compile(r"(?:open\.spotify\.com/track/|spotify:track:)([A-Za-z0-9]+)")
_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
_COUNTRY_IN_NAME = (
    re.compile(r"regional-([a-z]{2}|global)-", re.IGNORECASE),
    re.compile(r"\d{4}-\d{2}-\d{2}_?([a-z]{2})\.csv$", re.IGNORECASE),
)


def date_from_filename(filename: str) -> date | None:
    """The chart date in a Spotify download name (`regional-global-daily-2017-01-31.csv`).

    A weekly range (`2019-01-04--2019-01-11us.csv`) gives its first day, the start of the
    chart week, so consecutive weekly files stay seven days apart.
    """
    for match in _DATE_IN_NAME.finditer(filename.rsplit("/", 1)[-1]):
        parsed = _parse_date(match.group(1))
        if parsed:
            return parsed
    return None


def country_from_filename(filename: str) -> str:
    name = filename.rsplit("/", 1)[-1]
    for pattern in _COUNTRY_IN_NAME:
        match = pattern.search(name)
        if match:
            return match.group(1).lower()
    return ""


class SpotifyCsvParser:
    source = SOURCE_SPOTIFY_CSV

    def parse(
        self, payload: bytes | str, *, filename: str = "", skip_incomplete: bool = False
    ) -> ParsedFeed:
        lines = _text(payload).splitlines()
        header_index = self._header_index(lines)
        reader = csv.reader(io.StringIO("\n".join(lines[header_index:])))
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise FeedParseError("the CSV file is empty") from None
        columns = self._columns(header)

        entries: list[ParsedEntry] = []
        skipped = 0
        for line_number, row in enumerate(reader, start=header_index + 2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise FeedParseError(
                    f"line {line_number}: {len(row)} values for {len(header)} columns"
                )
            position = self._int(row[columns["position"]], "position", line_number)
            if position is None or position < 1:
                raise FeedParseError(f"line {line_number}: position must be a positive number")
            title = row[columns["title"]].strip()
            artist = row[columns["artist"]].strip()
            required = (("track name", title), ("artist", artist))
            if _incomplete(position, required, skip=skip_incomplete, where=f"line {line_number}: "):
                skipped += 1
                continue
            url = row[columns["url"]].strip() if "url" in columns else ""
            track_id = _SPOTIFY_TRACK_ID.search(url)
            if url.startswith("spotify:track:") and track_id:
                url = f"https://open.spotify.com/track/{track_id.group(1)}"
            chart_date = None
            if "date" in columns:
                chart_date = _parse_date(row[columns["date"]])
                if chart_date is None:
                    raise FeedParseError(f"line {line_number}: unreadable date")
            entries.append(
                ParsedEntry(
                    position=position,
                    title=title,
                    artist_name=artist,
                    external_id=track_id.group(1) if track_id else "",
                    streams=(
                        self._int(row[columns["streams"]], "streams", line_number)
                        if "streams" in columns
                        else None
                    ),
                    url=url,
                    chart_date=chart_date,
                    extra={
                        name: row[header.index(name)].strip()
                        for name in _SPOTIFY_EXTRA
                        if name in header
                    },
                )
            )
        return ParsedFeed(
            source=self.source,
            entries=entries,
            country=country_from_filename(filename),
            kind=KIND_SONGS,
            updated=None,
            title=filename.rsplit("/", 1)[-1],
            skipped=skipped,
        )

    @staticmethod
    def _header_index(lines: list[str]) -> int:
        # The spotifycharts.com download starts with a notice line before the header.
        for index, line in enumerate(lines[:3]):
            first = line.split(",", 1)[0].strip().strip('"').lower()
            if first in {"position", "rank"}:
                return index
        raise FeedParseError(
            "not a Spotify chart CSV: no 'Position,Track Name,Artist,...' or "
            "'rank,uri,artist_names,track_name,...' header in the first lines"
        )

    @staticmethod
    def _columns(header: list[str]) -> dict[str, int]:
        columns: dict[str, int] = {}
        for field, aliases in _SPOTIFY_COLUMNS.items():
            for alias in aliases:
                if alias in header:
                    columns[field] = header.index(alias)
                    break
        missing = [f for f in ("position", "title", "artist") if f not in columns]
        if missing:
            raise FeedParseError(f"the CSV header lacks the column(s): {', '.join(missing)}")
        return columns

    @staticmethod
    def _int(value: str, name: str, line_number: int) -> int | None:
        value = value.strip().replace(",", "")
        if not value:
            return None
        try:
            return int(value)
        except ValueError:
            raise FeedParseError(f"line {line_number}: {name} {value!r} is not a number") from None


# --------------------------------------------------------------------------- registry

PARSERS: dict[str, ChartParser] = {
    parser.source: parser
    for parser in (AppleMusicParser(), AppleMusicV1Parser(), ItunesRssParser(), SpotifyCsvParser())
}
SOURCE_CHOICES = [
    (SOURCE_APPLE_MUSIC, "Apple Music RSS v2 (JSON)"),
    (SOURCE_APPLE_MUSIC_V1, "Apple Music RSS v1 (JSON)"),
    (SOURCE_ITUNES_RSS, "iTunes RSS, legacy (JSON)"),
    (SOURCE_SPOTIFY_CSV, "Spotify Charts CSV"),
    (SOURCE_PLATFORM, "Our own listening (computed)"),
]


def get_parser(source: str) -> ChartParser:
    try:
        return PARSERS[source]
    except KeyError:
        raise FeedParseError(f"no parser for source {source!r}") from None


def parse_feed(
    source: str, payload: bytes | str, *, filename: str = "", skip_incomplete: bool = False
) -> ParsedFeed:
    return get_parser(source).parse(payload, filename=filename, skip_incomplete=skip_incomplete)


# --------------------------------------------------------------------------- validation


def validate_feed(feed: ParsedFeed, *, expected_country: str = "", expected_kind: str = "") -> None:
    """Raise FeedValidationError unless the feed can become one snapshot of the chart."""
    problems: list[str] = []
    if not feed.entries:
        problems.append("the feed has no entries")
    positions = Counter(entry.position for entry in feed.entries)
    duplicates = sorted(p for p, n in positions.items() if n > 1)
    if duplicates:
        shown = ", ".join(str(p) for p in duplicates[:10])
        problems.append(f"duplicate positions: {shown}")
    if expected_country and feed.country and feed.country != expected_country.lower():
        expected = expected_country.lower()
        problems.append(f"the feed is for country {feed.country!r}, the chart is for {expected!r}")
    out_of_range = [e.position for e in feed.entries if e.position > MAX_POSITION]
    if out_of_range:
        problems.append(f"position {out_of_range[0]} is beyond {MAX_POSITION}")
    if expected_kind and feed.kind and feed.kind != expected_kind:
        problems.append(f"the feed lists {feed.kind}, the chart lists {expected_kind}")
    if problems:
        raise FeedValidationError("; ".join(problems))


def feed_checksum(entries: Iterable[ParsedEntry]) -> str:
    """A fingerprint of what a snapshot holds, to skip re-processing an unchanged feed."""
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda e: e.position):
        row = (entry.position, entry.title, entry.artist_name, entry.external_id, entry.streams)
        digest.update("\x1f".join(map(str, row)).encode())
        digest.update(b"\x1e")
    return digest.hexdigest()
