"""Maintainers' tool: merge German texts from a Python dict into the German catalogue.

Usage: python app/translations/fill.py DICT_FILE.py  (the file defines DE = {msgid: msgstr, ...})
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).parent / "de" / "LC_MESSAGES" / "messages.po"


def main(dict_file: str) -> None:
    texts = runpy.run_path(dict_file)["DE"]
    with CATALOGUE.open("rb") as fh:
        catalog = read_po(fh, locale="de")
    filled = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id  # plurals: keyed by the singular
        if key and key in texts:
            message.string = texts[key]
            message.flags.discard("fuzzy")
            message.previous_id = []
            filled += 1
    with CATALOGUE.open("wb") as fh:
        write_po(fh, catalog, width=100)
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.string, str) else all(m.string))]
    print(f"{filled} filled, {len(missing)} still untranslated")
    for msgid in missing:
        print("  ", repr(msgid))


if __name__ == "__main__":
    main(sys.argv[1])
