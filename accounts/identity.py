"""Who an event is about: accounts and contacts matched, linked or created in bulk.

Accounts match by external id for a source, else by domain. Contacts match by external
id, else by email (case-insensitive). A contact's email domain links it to an account
unless it is a free-mail domain. Missing accounts and contacts are created when the
payload carries enough to find them again (an external id, a domain or an email).
"""

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F

from accounts.event_store import AnyOf
from accounts.models import Account, AccountExternalId, Contact, ContactExternalId
from workspaces.cleaning import NUL, NUL_CODE, NUL_MESSAGE
from workspaces.models import Workspace

FREE_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.fr",
        "ymail.com",
        "hotmail.com",
        "hotmail.co.uk",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "pm.me",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "web.de",
        "mail.com",
        "mail.ru",
        "yandex.ru",
        "yandex.com",
        "qq.com",
        "163.com",
        "126.com",
        "zoho.com",
        "fastmail.com",
        "hey.com",
        "tutanota.com",
    ]
)
_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class IdentityError(Exception):
    """A reference that cannot name an account or contact; `field` says which part.
    `errors` holds every problem found in the item's references (this one first)."""

    def __init__(self, field: str, message: str, code: str = "invalid"):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code
        self.errors = [self]


@dataclass(frozen=True)
class AccountRef:
    source: str = ""
    external_id: str = ""
    domain: str = ""
    name: str = ""


@dataclass(frozen=True)
class ContactRef:
    source: str = ""
    external_id: str = ""
    email: str = ""
    name: str = ""


_NO_ACCOUNT, _NO_CONTACT = AccountRef(), ContactRef()


# A batch names the same companies and people again and again: both normalizers are pure,
# so their answers are kept (an invalid value raises every time; errors are not cached).
@functools.lru_cache(maxsize=8192)
def normalize_domain(raw: str) -> str:
    """acme.com from 'https://www.Acme.com/pricing' and the like; '' when empty."""
    domain = (raw or "").strip().lower()
    domain = re.sub(r"^[a-z][a-z0-9+.-]*://", "", domain).split("/")[0].split(":")[0]
    domain = domain.removeprefix("www.").rstrip(".")
    if domain and not _DOMAIN_RE.match(domain):
        raise IdentityError("domain", f"{raw!r} is not a domain name.")
    return domain


@functools.lru_cache(maxsize=8192)
def normalize_email(raw: str) -> str:
    email = (raw or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise IdentityError("email", f"{raw!r} is not an email address.") from None
    return email


def email_domain(email: str) -> str:
    """The company domain of an email address; '' for free-mail providers."""
    domain = email.rpartition("@")[2]
    return "" if domain in FREE_MAIL_DOMAINS else domain


def _external_key(ref, field: str) -> tuple[str, str] | None:
    source, external_id = ref.source.strip(), ref.external_id.strip()
    if external_id and not source:
        raise IdentityError(f"{field}.source", "An external id needs its source.", "required")
    if source and not external_id:
        raise IdentityError(f"{field}.externalId", "A source needs the external id.", "required")
    if len(source) > 64 or len(external_id) > 255:
        raise IdentityError(f"{field}.externalId", "Source or external id too long.", "too_long")
    return (source, external_id) if source else None


def _check_texts(ref, field: str) -> None:
    """Every part of a reference is text without NUL characters (JSON items may hold
    anything)."""
    for name in ref.__dataclass_fields__:
        value = getattr(ref, name)
        camel = "externalId" if name == "external_id" else name
        if not isinstance(value, str):
            raise IdentityError(f"{field}.{camel}", "Must be text.", "invalid_type")
        if NUL in value:
            raise IdentityError(f"{field}.{camel}", NUL_MESSAGE, NUL_CODE)


@dataclass(frozen=True)
class _Wanted:
    """An item's normalized references."""

    account_key: tuple[str, str] | None
    account_domain: str
    account_name: str
    contact_key: tuple[str, str] | None
    email: str
    contact_name: str


def clean_refs(account: AccountRef | None, contact: ContactRef | None) -> _Wanted:
    """Check and normalize one item's references: an IdentityError holding every problem
    found (in `errors`)."""
    account = account or _NO_ACCOUNT
    contact = contact or _NO_CONTACT
    errors: list[IdentityError] = []

    def check(function, *args, field: str | None = None):
        try:
            return function(*args)
        except IdentityError as error:
            errors.append(IdentityError(field, error.message, error.code) if field else error)
            return None

    check(_check_texts, account, "account")
    check(_check_texts, contact, "contact")
    if errors:  # the checks below need text
        raise _all(errors)
    domain = check(normalize_domain, account.domain, field="account.domain") or ""
    email = check(normalize_email, contact.email, field="contact.email") or ""
    account_key = check(_external_key, account, "account")
    contact_key = check(_external_key, contact, "contact")
    if errors:
        raise _all(errors)
    wanted = _Wanted(
        account_key=account_key,
        account_domain=domain,
        account_name=account.name.strip()[:200],
        contact_key=contact_key,
        email=email,
        contact_name=contact.name.strip()[:200],
    )
    if not (wanted.account_key or domain or wanted.contact_key or email):
        raise IdentityError(
            "account",
            "Name the account (account.externalId with account.source, or account.domain) "
            "or the contact (contact.email or contact.externalId).",
            "required",
        )
    return wanted


def _all(errors: list[IdentityError]) -> IdentityError:
    first = errors[0]
    first.errors = errors
    return first


@dataclass(frozen=True)
class Identity:
    account_id: int
    contact_id: int | None


@dataclass(slots=True)
class _Known:
    """A stored contact as the resolver needs it (cheaper to load than a model)."""

    pk: int
    account_id: int | None


class IdentityResolver:
    """Resolves many items' references with a handful of queries (not one per item)."""

    def __init__(self, workspace: Workspace):
        self.workspace = workspace
        self.accounts_by_key: dict[tuple[str, str], int] = {}
        self.accounts_by_domain: dict[str, int] = {}
        # Stored contacts are loaded as _Known, the ones created here are Contact rows.
        self.contacts_by_key: dict[tuple[str, str], Contact | _Known] = {}
        self.contacts_by_email: dict[str, Contact | _Known] = {}

    # Lookups -------------------------------------------------------------------------

    def _load(self, wanted: Sequence[_Wanted]) -> None:
        ws = self.workspace
        account_keys = {w.account_key for w in wanted if w.account_key} - set(self.accounts_by_key)
        contact_keys = {w.contact_key for w in wanted if w.contact_key} - set(self.contacts_by_key)
        emails = {w.email for w in wanted if w.email} - set(self.contacts_by_email)
        domains = {w.account_domain for w in wanted if w.account_domain}
        domains |= {email_domain(email) for email in emails} - {""}
        domains -= set(self.accounts_by_domain)
        # Each lookup is one query for the whole batch; only the columns needed are read.
        if account_keys:
            rows = AccountExternalId.objects.filter(
                AnyOf(F("source"), {source for source, _ in account_keys}),
                AnyOf(F("external_id"), {external_id for _, external_id in account_keys}),
                workspace=ws,
            ).values_list("source", "external_id", "account_id")
            for source, external_id, account_id in rows.order_by():
                self.accounts_by_key[(source, external_id)] = account_id
        if domains:
            # `exclude(domain="")` lets the database use the partial unique index.
            rows = Account.objects.filter(AnyOf(F("domain"), domains), workspace=ws).exclude(
                domain=""
            )
            self.accounts_by_domain.update(rows.order_by().values_list("domain", "id"))
        if contact_keys:
            rows = ContactExternalId.objects.filter(
                AnyOf(F("source"), {source for source, _ in contact_keys}),
                AnyOf(F("external_id"), {external_id for _, external_id in contact_keys}),
                workspace=ws,
            ).values_list("source", "external_id", "contact_id", "contact__account_id")
            for source, external_id, contact_id, account_id in rows.order_by():
                self.contacts_by_key[(source, external_id)] = _Known(contact_id, account_id)
        if emails:
            rows = Contact.objects.filter(AnyOf(F("email"), emails), workspace=ws).exclude(email="")
            for email, contact_id, account_id in rows.order_by().values_list(
                "email", "id", "account_id"
            ):
                self.contacts_by_email[email] = _Known(contact_id, account_id)

    def _known_account(self, w: _Wanted) -> int | None:
        if w.account_key and w.account_key in self.accounts_by_key:
            return self.accounts_by_key[w.account_key]
        if w.account_domain and w.account_domain in self.accounts_by_domain:
            return self.accounts_by_domain[w.account_domain]
        return None

    def _known_contact(self, w: _Wanted) -> Contact | _Known | None:
        if w.contact_key and w.contact_key in self.contacts_by_key:
            return self.contacts_by_key[w.contact_key]
        return self.contacts_by_email.get(w.email) if w.email else None

    # Creation ------------------------------------------------------------------------

    def _create_accounts(self, wanted: Sequence[_Wanted]) -> None:
        """Create each account that is named (or implied by an email domain) but missing."""
        new: dict[tuple[str, object], Account] = {}
        for w in wanted:
            if self._account_for(w) is not None:
                continue
            named = w.account_key or w.account_domain
            domain = w.account_domain if named else email_domain(w.email) if w.email else ""
            if domain:
                marker = ("domain", domain)
            elif w.account_key:
                marker = ("key", w.account_key)
            else:
                continue  # nothing to find it by again: the item is rejected
            if marker not in new:
                new[marker] = Account(
                    workspace=self.workspace, domain=domain, name=w.account_name or domain
                )
        created = Account.objects.bulk_create(list(new.values())) if new else []
        keyed = {}
        for (kind, value), account in zip(new, created, strict=True):
            if kind == "domain":
                self.accounts_by_domain[value] = account.pk
            else:
                keyed[value] = account.pk
        AccountExternalId.objects.bulk_create(
            AccountExternalId(workspace=self.workspace, account_id=pk, source=s, external_id=e)
            for (s, e), pk in keyed.items()
        )
        self.accounts_by_key.update(keyed)

    def _account_for(self, w: _Wanted) -> int | None:
        if w.account_key or w.account_domain:
            # A named account is authoritative: when unknown, it is created, not guessed.
            return self._known_account(w)
        contact = self._known_contact(w)
        if contact is not None and contact.account_id is not None:
            return contact.account_id
        domain = email_domain(w.email) if w.email else ""
        return self.accounts_by_domain.get(domain)

    def _create_contacts(self, wanted: Sequence[_Wanted], accounts: list[int | None]) -> None:
        new: dict[tuple[str, object], Contact] = {}
        for w, account_id in zip(wanted, accounts, strict=True):
            if not (w.contact_key or w.email) or self._known_contact(w) is not None:
                continue
            if account_id is None:
                continue  # the item is rejected: it must leave nothing behind
            marker = ("email", w.email) if w.email else ("key", w.contact_key)
            if marker not in new:
                new[marker] = Contact(
                    workspace=self.workspace,
                    account_id=account_id,
                    email=w.email,
                    name=w.contact_name,
                )
        created = Contact.objects.bulk_create(list(new.values())) if new else []
        keyed = {}
        for (kind, value), contact in zip(new, created, strict=True):
            if kind == "email":
                self.contacts_by_email[value] = contact
            else:
                keyed[value] = contact
        # A contact known only by its external id is found again by that id alone.
        ContactExternalId.objects.bulk_create(
            ContactExternalId(workspace=self.workspace, contact=c, source=s, external_id=e)
            for (s, e), c in keyed.items()
        )
        self.contacts_by_key.update(keyed)

    def _link_external_ids(self, wanted: Sequence[_Wanted], accounts: list[int | None]) -> None:
        """Remember every external id an item used for the account or contact it found."""
        account_links: dict[tuple[str, str], int] = {}
        contact_links: dict[tuple[str, str], Contact | _Known] = {}
        for w, account_id in zip(wanted, accounts, strict=True):
            if w.account_key and w.account_key not in self.accounts_by_key and account_id:
                account_links.setdefault(w.account_key, account_id)
            contact = self._known_contact(w)
            if w.contact_key and w.contact_key not in self.contacts_by_key and contact:
                contact_links.setdefault(w.contact_key, contact)
        AccountExternalId.objects.bulk_create(
            AccountExternalId(workspace=self.workspace, account_id=pk, source=s, external_id=e)
            for (s, e), pk in account_links.items()
        )
        ContactExternalId.objects.bulk_create(
            ContactExternalId(workspace=self.workspace, contact_id=c.pk, source=s, external_id=e)
            for (s, e), c in contact_links.items()
        )
        self.accounts_by_key.update(account_links)
        self.contacts_by_key.update(contact_links)

    def _adopt_orphans(self, wanted: Sequence[_Wanted], accounts: list[int | None]) -> None:
        """Known contacts without an account join the account their event names."""
        orphans: dict[int, int] = {}
        for w, account_id in zip(wanted, accounts, strict=True):
            contact = self._known_contact(w)
            if contact is not None and contact.account_id is None and account_id is not None:
                orphans.setdefault(contact.pk, account_id)
                contact.account_id = orphans[contact.pk]
        for contact_id, account_id in orphans.items():
            Contact.objects.filter(pk=contact_id).update(account_id=account_id)

    # Entry point ---------------------------------------------------------------------

    def resolve(self, wanted: Sequence[_Wanted]) -> list[Identity | IdentityError]:
        """Each item's account and contact, creating what is missing. Run in a transaction."""
        self._load(wanted)
        if any(self._needs_writes(w) for w in wanted):
            # Serialise creation and linking per workspace, then look again: a concurrent
            # batch may have created the same accounts, contacts and links meanwhile.
            Workspace.objects.select_for_update().filter(pk=self.workspace.pk).first()
            self._load(wanted)
            self._create_accounts(wanted)
        accounts = [self._account_for(w) for w in wanted]
        self._create_contacts(wanted, accounts)
        self._link_external_ids(wanted, accounts)
        self._adopt_orphans(wanted, accounts)
        results: list[Identity | IdentityError] = []
        for w, account_id in zip(wanted, accounts, strict=True):
            contact = self._known_contact(w)
            if account_id is None:
                results.append(
                    IdentityError(
                        "account",
                        "Cannot tell which account this is: name the account, or use a "
                        "contact email with a company (not free-mail) domain.",
                        "unknown_account",
                    )
                )
            else:
                results.append(Identity(account_id, contact.pk if contact else None))
        return results

    def _needs_writes(self, w: _Wanted) -> bool:
        """Whether the item's account or contact must be created, or an external id it
        uses linked (unique per workspace too: two batches must not both insert it)."""
        named_contact = bool(w.contact_key or w.email)
        return (
            self._account_for(w) is None
            or (named_contact and self._known_contact(w) is None)
            or (w.account_key is not None and w.account_key not in self.accounts_by_key)
            or (w.contact_key is not None and w.contact_key not in self.contacts_by_key)
        )


def resolve_identities(
    workspace: Workspace, wanted: Sequence[_Wanted]
) -> list[Identity | IdentityError]:
    with transaction.atomic():
        return IdentityResolver(workspace).resolve(wanted)
