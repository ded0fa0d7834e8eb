"""A realistic OFX 1.x (SGML, unclosed elements) bank statement of any length, for benchmarks.

Deterministic for a given seed, so fast-path and ofxparse timings measure the same bytes.
Carries what real exports carry: a 1252 header, CRLF line ends, timezone-suffixed dates,
NAME and MEMO, occasional CHECKNUM/REFNUM, and a closing LEDGERBAL that matches the lines.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

_HEADER = (
    "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
    "CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
)
_PAYEES = (
    "ACME SUPPLIES LTD",
    "CITY WATER",
    "PAYROLL ACME",
    "CARD 4421 GROCERY",
    "RENT OFFICE 12",
    "TAX OFFICE",
    "J SMITH & SONS",
    "CAFÉ DU PARC",
)
_TYPES = ("DEBIT", "CREDIT", "POS", "XFER", "CHECK", "DIRECTDEP", "FEE")


def generate(n_lines: int, seed: int = 1) -> bytes:
    """``n_lines`` STMTTRN records in one checking-account statement (cp1252 bytes)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    start = date(2019, 1, 1)
    parts = [
        _HEADER,
        "<OFX>\r\n<SIGNONMSGSRSV1>\r\n<SONRS>\r\n<STATUS>\r\n<CODE>0\r\n<SEVERITY>INFO\r\n</STATUS>\r\n"
        "<DTSERVER>20240102120000.000[-5:EST]\r\n<LANGUAGE>ENG\r\n</SONRS>\r\n</SIGNONMSGSRSV1>\r\n"
        "<BANKMSGSRSV1>\r\n<STMTTRNRS>\r\n<TRNUID>1\r\n<STATUS>\r\n<CODE>0\r\n<SEVERITY>INFO\r\n</STATUS>\r\n"
        "<STMTRS>\r\n<CURDEF>USD\r\n<BANKACCTFROM>\r\n<BANKID>021000021\r\n<ACCTID>000123456789\r\n"
        "<ACCTTYPE>CHECKING\r\n</BANKACCTFROM>\r\n<BANKTRANLIST>\r\n",
    ]
    days = max(1, n_lines // 40)
    end = start + timedelta(days=days)
    parts.append(f"<DTSTART>{start:%Y%m%d}000000.000[-5:EST]\r\n<DTEND>{end:%Y%m%d}235959.000[-5:EST]\r\n")
    total = Decimal(0)
    for index in range(n_lines):
        kind = rng.choice(_TYPES)
        cents = rng.randint(100, 500_000)
        amount = Decimal(cents).scaleb(-2)
        if kind not in ("CREDIT", "DIRECTDEP"):
            amount = -amount
        total += amount
        day = start + timedelta(days=index * days // max(1, n_lines))
        record = [
            "<STMTTRN>\r\n",
            f"<TRNTYPE>{kind}\r\n",
            f"<DTPOSTED>{day:%Y%m%d}{rng.randint(0, 23):02d}0000.000[-5:EST]\r\n",
            f"<TRNAMT>{amount}\r\n",
            f"<FITID>{day:%Y%m%d}{index:08d}\r\n",
        ]
        if kind == "CHECK":
            record.append(f"<CHECKNUM>{rng.randint(1000, 9999)}\r\n")
        record.append(f"<NAME>{rng.choice(_PAYEES)}\r\n")
        if rng.random() < 0.7:
            record.append(f"<MEMO>INV-{rng.randint(10000, 99999)} REF {index}\r\n")
        record.append("</STMTTRN>\r\n")
        parts.append("".join(record))
    parts.append(
        f"</BANKTRANLIST>\r\n<LEDGERBAL>\r\n<BALAMT>{total}\r\n<DTASOF>{end:%Y%m%d}\r\n</LEDGERBAL>\r\n"
        "</STMTRS>\r\n</STMTTRNRS>\r\n</BANKMSGSRSV1>\r\n</OFX>\r\n"
    )
    return "".join(parts).encode("cp1252")
