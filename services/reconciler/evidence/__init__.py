"""Evidence packs: one ZIP proving what happened to a payment, an invoice or a contract (docs/evidence.md).

``service`` gathers and packs, ``repository`` queries, ``summary`` renders the PDF, ``verify``
checks a pack offline with the standard library only, ``endpoints`` and ``cli`` expose both.
"""
