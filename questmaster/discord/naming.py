"""Names, caps and constants Discord imposes on what QuestMaster creates there.

Channel, role and category names, the size limits of messages and embeds, and the permission
bitfields granted in game channels. Everything that builds a Discord payload goes through these,
so a long game name or an emoji never turns into a 400 from Discord.
"""

from __future__ import annotations

import re
import unicodedata

# --- caps (https://discord.com/developers/docs/resources/message#embed-object-embed-limits) ------

NAME_MAX = 100  # channel, role and category names
CONTENT_MAX = 2000
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_NAME_MAX = 256
EMBED_FIELDS_MAX = 25
EMBEDS_MAX = 10
EMBEDS_TOTAL_MAX = 6000  # title + description + field names/values + footer + author, all embeds
BUTTONS_PER_ROW_MAX = 5
BUTTON_LABEL_MAX = 80

ELLIPSIS = "…"

# --- permissions (https://discord.com/developers/docs/topics/permissions) --------------------

VIEW_CHANNEL = 1 << 10
# Add reactions, view channel, send messages, embed links, attach files, read history, external
# emojis, external stickers, send in threads, send polls.
PLAYER = 563362270661696
# PLAYER + mention everyone, create public/private threads, pin messages.
GM = 2815265163693120

# --- colours of game embeds and roles -----------------------------------------------------------

ONESHOT_COLOR = 0x198754
CAMPAIGN_COLOR = 0x0D6EFD


def truncate(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else cut and ended with "…" (still ≤ `limit`)."""
    if len(text) <= limit:
        return text
    if limit <= len(ELLIPSIS):
        return text[:limit]
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def _ascii(text: str) -> str:
    # "Étoile" → "Etoile": decompose, then drop what has no ASCII form (accents, emoji).
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def channel_name(slug: str) -> str:
    """A text channel name Discord keeps as is: ASCII, lowercase, `[a-z0-9-_]`, ≤ 100 chars."""
    name = re.sub(r"\s+", "-", _ascii(slug).lower().strip())
    name = re.sub(r"[^a-z0-9_-]", "", name)
    # Removed characters (emoji, punctuation) may leave "--" behind or a dangling dash.
    name = re.sub(r"-{2,}", "-", name).strip("-")
    return name[:NAME_MAX].rstrip("-")


def role_name(slug: str) -> str:
    """The game's player role: `PJ_<slug>`, whitespace → `_`, ASCII, ≤ 100 chars."""
    name = "PJ_" + re.sub(r"\s+", "_", _ascii(slug).strip())
    return name[:NAME_MAX]


def category_name(template: str, n: int) -> str:
    """A category name from an admin template such as "🎲 ONE SHOTS {n} 📖" (emoji kept)."""
    # str.replace, not str.format: a template may hold other braces.
    return truncate(template.replace("{n}", str(n)).strip(), NAME_MAX)


def embeds_length(embeds: list[dict]) -> int:
    """The characters Discord counts against `EMBEDS_TOTAL_MAX`."""
    total = 0
    for embed in embeds:
        total += len(embed.get("title") or "") + len(embed.get("description") or "")
        total += len((embed.get("footer") or {}).get("text") or "")
        total += len((embed.get("author") or {}).get("name") or "")
        for item in embed.get("fields") or ():
            total += len(item.get("name") or "") + len(item.get("value") or "")
    return total
