"""The pact's messages: the pact and its counter, the pledge steps, certificates, invitations."""

from __future__ import annotations

from urllib.parse import quote

from babel.dates import format_date
from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.helpers import create_deep_linked_url

from clicksbot.content.pact import Pact
from clicksbot.i18n import Translator
from clicksbot.render import Reply, esc
from clicksbot.render import callbacks as cb
from clicksbot.render.certificate import CertificateText, drawable
from clicksbot.services import places
from clicksbot.services.pact import PactStatus
from clicksbot.store.pact import Pledge


def _button(text: str, kind: str, arg: str = "-") -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=cb.encode("pact", kind, arg))


def _date(t: Translator, pledge: Pledge) -> str:
    return str(format_date(pledge.pledged_at.date(), "long", locale=t.language))


def pact_message(t: Translator, pact: Pact, status: PactStatus, *, expanded: bool = False) -> Reply:
    """The pact, the counter, and what the person can do: commit, or their certificate.

    Short for a phone: the commitments (most of the text) show on demand, with a button
    that expands the same message (`expanded`); the disclaimer shows either way.
    """
    text = pact.text(t.language)
    lines = [f"🤝 <b>{esc(text.title)}</b>", "", esc(text.intro), ""]
    if expanded:
        lines += [f"✅ {esc(c)}" for c in text.commitments]
        lines += ["", f"<i>{esc(text.closing)}</i>", ""]
    else:
        lines += [t("pact.commitments_hidden"), ""]
    counter = t.plural("pact.counter", status.total)
    if status.country and status.in_country:
        name = esc(places.country_name(status.country, t.language))
        counter += " " + t.plural("pact.counter_country", status.in_country, country=name)
    lines.append(counter)
    pledge = status.pledge
    if pledge is not None and status.current:
        lines += ["", t("pact.already", date=esc(_date(t, pledge)))]
        rows = [
            [_button(t("pact.certificate"), "cert"), _button(t("pact.invite"), "invite")],
            [_button(t("pact.withdraw"), "withdraw")],
        ]
    else:
        if pledge is not None:  # a live pledge to an older version
            lines += ["", t("pact.new_version", date=esc(_date(t, pledge)))]
        rows = [[_button(t("pact.commit"), "commit", str(pact.version))]]
    if not expanded:
        rows.insert(0, [_button(t("pact.read"), "read")])
    lines += ["", t("pact.disclaimer")]
    return Reply("\n".join(lines), InlineKeyboardMarkup(rows))


def name_prompt(t: Translator) -> Reply:
    """Ask for the name to print on the certificate (skippable)."""
    return Reply(t("pact.ask_name"), InlineKeyboardMarkup([[_button(t("pact.skip"), "skipname")]]))


def country_prompt(t: Translator, likely: str | None) -> Reply:
    """Ask for the person's country (skippable); their likely one first."""
    countries = [c for region in places.REGIONS for c in region.countries]
    if likely in countries:
        countries.remove(likely)
        countries.insert(0, likely)
    buttons = [
        InlineKeyboardButton(
            f"{places.flag(c)} {places.country_name(c, t.language)}",
            callback_data=cb.encode("pactc", c),
        )
        for c in countries
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    rows.append([_button(t("pact.skip"), "nocountry")])
    return Reply(t("pact.ask_country"), InlineKeyboardMarkup(rows))


def certificate_caption(t: Translator) -> str:
    """The caption under the certificate photo (well under Telegram's 1024 characters)."""
    return t("pact.certificate_caption")


def certificate_keyboard(t: Translator) -> InlineKeyboardMarkup:
    """Under the certificate: change the name on it."""
    return InlineKeyboardMarkup([[_button(t("pact.rename"), "rename")]])


def rename_prompt(t: Translator) -> Reply:
    """Ask for the new name on the certificate, or none."""
    return Reply(
        t("pact.ask_new_name"), InlineKeyboardMarkup([[_button(t("pact.no_name"), "noname")]])
    )


def certificate_text(
    t: Translator, english: Translator, pact: Pact, pledge: Pledge, bot_username: str
) -> CertificateText:
    """Every text of a certificate, in the person's language if the fonts can draw it (else
    in English: only where the system cannot shape Arabic or Khmer); the name only if it can
    be drawn, else a plain word that it cannot."""

    def texts(tr: Translator) -> CertificateText:
        name = pledge.display_name
        fallback = tr("certificate.no_name")
        if name is not None and not drawable(name):
            name, fallback = None, tr("certificate.name_fallback")
        return CertificateText(
            heading=tr("certificate.heading"),
            name=name,
            name_fallback=fallback,
            pledge=tr("certificate.pledge", title=pact.text(tr.language).title),
            details=tr("certificate.details", version=pledge.version, date=_date(tr, pledge)),
            link=f"t.me/{bot_username}",
            credit=tr("certificate.credit"),
        )

    chosen = texts(t)
    chrome = (chosen.heading, chosen.name_fallback, chosen.pledge, chosen.details, chosen.credit)
    return chosen if all(drawable(s) for s in chrome) else texts(english)


def invite_message(
    t: Translator, bot_username: str, payload: str, joined: int, pledged: int
) -> Reply:
    """A person's invitation link, a one-tap share, and how many friends came."""
    link = create_deep_linked_url(bot_username, payload)
    share = (
        f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(t('invite.share_text'))}"
    )
    text = "\n\n".join(
        (
            t("invite.text"),
            f"<code>{esc(link)}</code>",
            t.plural("invite.joined", joined) + " " + t.plural("invite.pledged", pledged),
        )
    )
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton(t("invite.share"), url=share)]])
    return Reply(text, keyboard)


def withdraw_prompt(t: Translator) -> Reply:
    """Ask whether the person really wants to withdraw."""
    return Reply(
        t("pact.withdraw_confirm"),
        InlineKeyboardMarkup(
            [[_button(t("pact.withdraw_yes"), "unpledge"), _button(t("pact.withdraw_no"), "keep")]]
        ),
    )
