"""SQLModel tables, one module per area. Importing this package registers every table.

Money columns are ``BigInteger`` minor units next to a ``currency`` column (see ``shared.money``);
timestamps are UTC.
"""

from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from shared.models.audit import JournalEvent  # noqa: E402
from shared.models.bank import BankAccount, BankTransaction, Statement  # noqa: E402
from shared.models.billing import Contract, Invoice, InvoiceLookupKey, Partner, PartnerAccount  # noqa: E402
from shared.models.matching import Allocation, LearnedAccount, LearnedReference  # noqa: E402
from shared.models.notify import OutboxEvent  # noqa: E402


def _register_all_table_modules() -> None:
    """Import every module of this package so each area's tables join the metadata (migrations see them)."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_register_all_table_modules()

__all__ = [
    "Allocation",
    "BankAccount",
    "BankTransaction",
    "Contract",
    "Invoice",
    "InvoiceLookupKey",
    "JournalEvent",
    "LearnedAccount",
    "LearnedReference",
    "OutboxEvent",
    "Partner",
    "PartnerAccount",
    "SQLModel",
    "Statement",
]
