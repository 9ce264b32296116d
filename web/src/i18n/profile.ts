// The person's own page: profile, devices, settings, in English and German. English is the key set; German must
// have every key, with the same {placeholders} (the type checker says when not).
import type { Translation } from "./types";

const en = {
  "profile.title": "Your profile",
  "profile.name": "Name",
  "profile.jobTitle": "Job title",
  "profile.competences": "Competences",
  "profile.languages": "Languages",
  "profile.location": "Location",
  "profile.phone": "Phone extension",
  "profile.listHint": "Separated by commas",
  "profile.saved": "Profile saved.",

  "devices.title": "Your devices",
  "devices.thisOne": "this device",
  "devices.lastSeen": "last seen {when}",
  "devices.revoke": "Remove",
  "devices.confirmRevoke": "Remove {name}? It loses access at once and reads nothing new.",
  "devices.revoked": "{name} was removed.",
  "devices.revokedElsewhere": "One of your devices was removed.",
  "devices.linkTitle": "Link a new device",
  "devices.linkHint": "Log in on the new device; it shows a code. Enter that code here to give it your keys and history.",
  "devices.noRequests": "No device is waiting.",
  "devices.codeOf": "Code shown by the new device (asked {when})",
  "devices.approve": "Link",
  "devices.linked": "The new device is linked.",
  "devices.noIdentity": "This device cannot link others: use the device you started with, or your recovery key on the new one.",

  "settings.title": "Settings",
  "settings.language": "Language",
  "settings.theme": "Appearance",
  "settings.theme.system": "Like the system",
  "settings.theme.light": "Light",
  "settings.theme.dark": "Dark",
  "settings.confirmLogout": "Log out? The keys and messages on this browser are deleted.",
  "settings.confirmLogoutIdentity": "Log out? The keys and messages on this browser are deleted. This device holds your identity key: without another linked device or your recovery key you cannot link new devices afterwards.",
} as const;

const de: Translation<typeof en> = {
  "profile.title": "Ihr Profil",
  "profile.name": "Name",
  "profile.jobTitle": "Tätigkeit",
  "profile.competences": "Kompetenzen",
  "profile.languages": "Sprachen",
  "profile.location": "Ort",
  "profile.phone": "Durchwahl",
  "profile.listHint": "Durch Kommas getrennt",
  "profile.saved": "Profil gespeichert.",

  "devices.title": "Ihre Geräte",
  "devices.thisOne": "dieses Gerät",
  "devices.lastSeen": "zuletzt aktiv {when}",
  "devices.revoke": "Entfernen",
  "devices.confirmRevoke": "{name} entfernen? Es verliert sofort den Zugang und liest nichts Neues mehr.",
  "devices.revoked": "{name} wurde entfernt.",
  "devices.revokedElsewhere": "Eines Ihrer Geräte wurde entfernt.",
  "devices.linkTitle": "Neues Gerät verknüpfen",
  "devices.linkHint": "Melden Sie sich auf dem neuen Gerät an; es zeigt einen Code. Geben Sie den Code hier ein, um ihm Ihre Schlüssel und den Verlauf zu geben.",
  "devices.noRequests": "Kein Gerät wartet.",
  "devices.codeOf": "Code des neuen Geräts (angefragt {when})",
  "devices.approve": "Verknüpfen",
  "devices.linked": "Das neue Gerät ist verknüpft.",
  "devices.noIdentity": "Dieses Gerät kann keine anderen verknüpfen: Nutzen Sie Ihr erstes Gerät oder auf dem neuen Gerät Ihren Wiederherstellungsschlüssel.",

  "settings.title": "Einstellungen",
  "settings.language": "Sprache",
  "settings.theme": "Darstellung",
  "settings.theme.system": "Wie das System",
  "settings.theme.light": "Hell",
  "settings.theme.dark": "Dunkel",
  "settings.confirmLogout": "Abmelden? Die Schlüssel und Nachrichten in diesem Browser werden gelöscht.",
  "settings.confirmLogoutIdentity": "Abmelden? Die Schlüssel und Nachrichten in diesem Browser werden gelöscht. Dieses Gerät hat Ihren Identitätsschlüssel: Ohne ein weiteres verknüpftes Gerät oder Ihren Wiederherstellungsschlüssel können Sie danach keine neuen Geräte verknüpfen.",
};

export default { en, de };
