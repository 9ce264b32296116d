// The screens before the conversations: setup, login, invitation, linking a device, a session that ended, in English and German. English is the key set; German must
// have every key, with the same {placeholders} (the type checker says when not).
import type { Translation } from "./types";

const en = {
  "auth.email": "E-mail address",
  "auth.password": "Password",
  "auth.newPassword": "Choose a password",
  "auth.passwordHint": "At least 10 characters; a few words are easy to remember and hard to guess.",
  "auth.yourName": "Your name",

  "setup.title": "Set up Kontor",
  "setup.intro": "This server has no organisation yet. Create yours; you become its owner.",
  "setup.code": "Setup code",
  "setup.codeHint": "It is in the file setup-code in the server's data directory (kontor-data/setup-code).",
  "setup.orgName": "Name of the organisation",
  "setup.submit": "Create organisation",

  "login.title": "Log in",
  "login.org": "Organisation",
  "login.orgHint": "Its short name, e.g. pflegedienst-sonnenschein.",
  "login.submit": "Log in",
  "login.invited": "Invited? Open the link from your invitation, or",
  "login.enterCode": "enter the invitation code",

  "join.title": "Accept invitation",
  "join.intro": "Enter the code from your invitation.",
  "join.code": "Invitation code",
  "join.check": "Continue",
  "join.invitedAs": "{org} invites you as {email}.",
  "join.submit": "Join",

  "link.title": "Link this device",
  "link.intro": "{name}, you already use Kontor on another device. Your keys never go through the server: link this one from a device you have, or with your recovery key.",
  "link.byApproval": "Approve on your other device",
  "link.approveHint": "On your other device open Profile → Devices and enter this code:",
  "link.byKey": "Or use your recovery key",
  "link.recoveryKey": "Recovery key",
  "link.submitKey": "Link with recovery key",

  "ended.title": "Session ended",
  "ended.session": "Your session has ended: you were logged out, or this device was removed.",
  "ended.suspended": "Your account was suspended by your organisation.",
  "ended.deprovisioned": "Your organisation has ended your access.",
  "ended.revoked": "This device was removed from your account.",
  "ended.guests": "Your organisation does not admit guests at the moment.",
  "ended.wiped": "Everything this browser kept of the session — keys and messages — was deleted.",
  "ended.login": "Log in again",
} as const;

const de: Translation<typeof en> = {
  "auth.email": "E-Mail-Adresse",
  "auth.password": "Passwort",
  "auth.newPassword": "Passwort wählen",
  "auth.passwordHint": "Mindestens 10 Zeichen; ein paar Wörter sind leicht zu merken und schwer zu erraten.",
  "auth.yourName": "Ihr Name",

  "setup.title": "Kontor einrichten",
  "setup.intro": "Auf diesem Server gibt es noch keine Organisation. Legen Sie Ihre an; Sie werden ihre Inhaberin oder ihr Inhaber.",
  "setup.code": "Einrichtungscode",
  "setup.codeHint": "Er steht in der Datei setup-code im Datenverzeichnis des Servers (kontor-data/setup-code).",
  "setup.orgName": "Name der Organisation",
  "setup.submit": "Organisation anlegen",

  "login.title": "Anmelden",
  "login.org": "Organisation",
  "login.orgHint": "Ihr Kurzname, z. B. pflegedienst-sonnenschein.",
  "login.submit": "Anmelden",
  "login.invited": "Eingeladen? Öffnen Sie den Link aus Ihrer Einladung, oder",
  "login.enterCode": "geben Sie den Einladungscode ein",

  "join.title": "Einladung annehmen",
  "join.intro": "Geben Sie den Code aus Ihrer Einladung ein.",
  "join.code": "Einladungscode",
  "join.check": "Weiter",
  "join.invitedAs": "{org} lädt Sie als {email} ein.",
  "join.submit": "Beitreten",

  "link.title": "Dieses Gerät verknüpfen",
  "link.intro": "{name}, Sie nutzen Kontor bereits auf einem anderen Gerät. Ihre Schlüssel gehen nie über den Server: Verknüpfen Sie dieses Gerät von einem vorhandenen aus oder mit Ihrem Wiederherstellungsschlüssel.",
  "link.byApproval": "Auf dem anderen Gerät bestätigen",
  "link.approveHint": "Öffnen Sie auf Ihrem anderen Gerät Profil → Geräte und geben Sie diesen Code ein:",
  "link.byKey": "Oder mit dem Wiederherstellungsschlüssel",
  "link.recoveryKey": "Wiederherstellungsschlüssel",
  "link.submitKey": "Mit Wiederherstellungsschlüssel verknüpfen",

  "ended.title": "Sitzung beendet",
  "ended.session": "Ihre Sitzung wurde beendet: Sie wurden abgemeldet, oder dieses Gerät wurde entfernt.",
  "ended.suspended": "Ihr Konto wurde von Ihrer Organisation gesperrt.",
  "ended.deprovisioned": "Ihre Organisation hat Ihren Zugang beendet.",
  "ended.revoked": "Dieses Gerät wurde aus Ihrem Konto entfernt.",
  "ended.guests": "Ihre Organisation lässt zurzeit keine Gäste zu.",
  "ended.wiped": "Alles, was dieser Browser von der Sitzung hatte – Schlüssel und Nachrichten –, wurde gelöscht.",
  "ended.login": "Erneut anmelden",
};

export default { en, de };
