"""OFX / QFX statements (OFX 1.x SGML and 2.x XML): detection and parsing.

Two readers give the same results on every fixture both accept (a test holds them to it):

* the **fast path** (``ofx_fast``, the default): our own linear tokenizer, ~150x faster than
  ofxparse at a few thousand transactions and more beyond (ofxparse is super-linear), about
  100,000 transactions/s of CPU, and tolerant where the bytes are unambiguous;
* the **reference path** (``ofx_reference``): ofxparse, the customer's required reference, used
  only when asked for (``parse(..., reader="reference")``) — to cross-check the fast path and to
  let an operator compare the two on a disputed file. Sverka never falls back to it silently:
  where the fast path refuses a file, ofxparse either refuses it too or reads it wrongly.

See ``docs/formats/ofx.md`` for every rule and every deliberate difference from ofxparse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from adapters.banks.base import ParsedFile, ParseError
from adapters.banks.formats.ofx_fast import parse_fast
from adapters.banks.formats.ofx_text import decode

Reader = Literal["fast", "reference"]

MAX_OFX_BYTES = 50 * 1024 * 1024

_OFX_HEADER = re.compile(rb"\A\s*OFXHEADER\s*:", re.IGNORECASE)
_OFX_PI = re.compile(rb"<\?OFX[\s?]", re.IGNORECASE)
_OFX_ROOT = re.compile(rb"<\s*OFX\s*>", re.IGNORECASE)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True, slots=True)
class OfxFormat:
    """OFX/QFX as a ``StatementFormat``."""

    name: str = "ofx"

    def sniff(self, head: bytes, filename: str) -> bool:
        """An OFX 1.x header, an ``<?OFX ...?>`` instruction, or an ``<OFX>`` root anywhere in the head.

        The root alone is enough: a tenth of the corpus has no header or a mangled one, and no
        other format Sverka reads contains ``<OFX>``.
        """
        if head.startswith(_UTF16_BOMS):
            head = head.decode("utf-16", errors="replace").encode("utf-8", errors="replace")
        head = head.removeprefix(b"\xef\xbb\xbf")
        return bool(_OFX_HEADER.match(head) or _OFX_PI.search(head) or _OFX_ROOT.search(head))

    def parse(self, data: bytes, filename: str, *, reader: Reader = "fast") -> ParsedFile:
        """Parse a whole OFX/QFX file; only ParseError escapes."""
        try:
            if len(data) > MAX_OFX_BYTES:
                raise ParseError(f"file is {len(data)} bytes, over the OFX limit of {MAX_OFX_BYTES}")
            decoded = decode(data)
            if reader == "reference":
                from adapters.banks.formats.ofx_reference import parse_reference  # ofxparse is slow to import

                return parse_reference(decoded, self.name)
            return parse_fast(decoded, self.name)
        except ParseError as exc:
            raise exc.with_file(filename) if exc.file is None else exc from None
        except RecursionError:
            raise ParseError("structure nested too deeply", file=filename) from None
        except Exception as exc:  # a bug of ours must still reach the user as a clear refusal
            raise ParseError(f"unreadable OFX file ({type(exc).__name__}: {exc})", file=filename) from exc


FORMAT = OfxFormat()
