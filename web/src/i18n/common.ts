// Texts every screen uses: buttons, errors, navigation, the connection, kinds and roles, in English and German. English is the key set; German must
// have every key, with the same {placeholders} (the type checker says when not).
import type { Translation } from "./types";

const en = {
  "common.loading": "Loading…",
  "common.close": "Close",
  "common.cancel": "Cancel",
  "common.save": "Save",

  "brand.logoOf": "Logo of {name}",

  "error.generic": "Something went wrong. Please try again.",
  "error.store": "This browser could not save the change (is its storage full?). Please try again.",
  "error.missing": "That is not on this device (any more).",
  "error.unreachable": "The server cannot be reached. Check the connection and try again.",
  "error.queued": "Not sent yet: it goes out as soon as the connection is back.",
  "error.notLinked": "This device is not linked yet.",
  "error.keepsChanging": "The conversation keeps changing. Please try again.",
  "error.core": "This device could not do that. Please try again; if it keeps happening, tell your administrator.",
  "error.wrongLinkCode": "The code does not match the one the new device shows. Please compare them again.",
  "error.wrongRecoveryKey": "This recovery key does not fit. Please check it and try again.",
  "error.stopped": "This conversation is stopped on this device. The conversation says why and what to do.",
  "error.rejoining": "This device is being added to the conversation again. It goes on as soon as a member is online.",

  "unreachable.title": "Kontor cannot start",
  "unreachable.retry": "Try again",

  "recovery.title": "Your recovery key",
  "recovery.intro": "Keep this key somewhere safe, e.g. on paper. With it you can link a new device when you have no other. It is shown only now; nobody, not even your administrator, can show it again.",
  "recovery.saved": "I have kept my recovery key",
  "recovery.done": "Done",
  "recovery.copy": "Copy",
  "recovery.copied": "The recovery key was copied.",
  "recovery.copyFailed": "This browser did not allow copying: write the key down or save it as a file.",
  "recovery.file": "Save as file",
  "recovery.print": "Print",
  "recovery.why": "This window closes once you have kept the key and ticked the box: it is shown only now.",

  "identity.conflict": "Warning: the server presented a different identity key for you than this device holds. Somebody may be trying to impersonate you. This device keeps trusting only its own key; compare safety numbers with colleagues and tell your administrator.",

  "nav.main": "Menu",
  "nav.new": "New conversation",
  "nav.admin": "Administration",
  "nav.profile": "Profile and settings",
  "nav.back": "Back",
  "nav.logout": "Log out",

  "connection.online": "Connected",
  "connection.connecting": "Connecting…",
  "connection.offline": "Offline — messages are sent when the connection is back",

  "kind.direct": "Direct chat",
  "kind.group": "Group",
  "kind.channel": "Channel",
  "kind.channelRead": "Channel · read only",

  "role.owner": "Owner",
  "role.admin": "Admin",
  "role.member": "Member",
  "role.guest": "Guest",
  "role.reader": "Reader",

  "person.you": "You",
  "person.unknown": "Unknown person",
} as const;

const de: Translation<typeof en> = {
  "common.loading": "Wird geladen …",
  "common.close": "Schließen",
  "common.cancel": "Abbrechen",
  "common.save": "Speichern",

  "brand.logoOf": "Logo von {name}",

  "error.generic": "Etwas ist schiefgegangen. Bitte versuchen Sie es erneut.",
  "error.store": "Dieser Browser konnte die Änderung nicht speichern (ist sein Speicher voll?). Bitte versuchen Sie es erneut.",
  "error.missing": "Das ist nicht (mehr) auf diesem Gerät.",
  "error.unreachable": "Der Server ist nicht erreichbar. Prüfen Sie die Verbindung und versuchen Sie es erneut.",
  "error.queued": "Noch nicht gesendet: Die Nachricht geht raus, sobald die Verbindung wieder da ist.",
  "error.notLinked": "Dieses Gerät ist noch nicht verknüpft.",
  "error.keepsChanging": "Die Unterhaltung ändert sich ständig. Bitte versuchen Sie es erneut.",
  "error.core": "Das ging auf diesem Gerät nicht. Bitte versuchen Sie es erneut; passiert es wieder, sagen Sie Ihrer Administration Bescheid.",
  "error.wrongLinkCode": "Der Code passt nicht zu dem, den das neue Gerät zeigt. Bitte vergleichen Sie sie noch einmal.",
  "error.wrongRecoveryKey": "Dieser Wiederherstellungsschlüssel passt nicht. Bitte prüfen Sie ihn und versuchen Sie es erneut.",
  "error.stopped": "Diese Unterhaltung ist auf diesem Gerät angehalten. Die Unterhaltung sagt, warum und was zu tun ist.",
  "error.rejoining": "Dieses Gerät wird der Unterhaltung gerade neu hinzugefügt. Sobald ein Mitglied online ist, geht es weiter.",

  "unreachable.title": "Kontor kann nicht starten",
  "unreachable.retry": "Erneut versuchen",

  "recovery.title": "Ihr Wiederherstellungsschlüssel",
  "recovery.intro": "Bewahren Sie diesen Schlüssel sicher auf, z. B. auf Papier. Mit ihm verknüpfen Sie ein neues Gerät, wenn Sie kein anderes mehr haben. Er wird nur jetzt angezeigt; niemand, auch nicht Ihre Administration, kann ihn erneut anzeigen.",
  "recovery.saved": "Ich habe meinen Wiederherstellungsschlüssel aufbewahrt",
  "recovery.done": "Fertig",
  "recovery.copy": "Kopieren",
  "recovery.copied": "Der Wiederherstellungsschlüssel wurde kopiert.",
  "recovery.copyFailed": "Dieser Browser hat das Kopieren nicht erlaubt: Schreiben Sie den Schlüssel auf oder speichern Sie ihn als Datei.",
  "recovery.file": "Als Datei speichern",
  "recovery.print": "Drucken",
  "recovery.why": "Dieses Fenster schließt sich, sobald Sie den Schlüssel aufbewahrt und das Kästchen angekreuzt haben: Er wird nur jetzt angezeigt.",

  "identity.conflict": "Achtung: Der Server hat für Sie einen anderen Identitätsschlüssel gezeigt, als dieses Gerät hat. Möglicherweise versucht jemand, sich als Sie auszugeben. Dieses Gerät vertraut weiter nur seinem eigenen Schlüssel; vergleichen Sie Sicherheitsnummern mit Kolleg/innen und informieren Sie Ihre Administration.",

  "nav.main": "Menü",
  "nav.new": "Neue Unterhaltung",
  "nav.admin": "Admin-Bereich",
  "nav.profile": "Profil und Einstellungen",
  "nav.back": "Zurück",
  "nav.logout": "Abmelden",

  "connection.online": "Verbunden",
  "connection.connecting": "Verbinde …",
  "connection.offline": "Offline – Nachrichten werden gesendet, sobald die Verbindung wieder da ist",

  "kind.direct": "Direktnachricht",
  "kind.group": "Gruppe",
  "kind.channel": "Kanal",
  "kind.channelRead": "Kanal · nur lesen",

  "role.owner": "Inhaber/in",
  "role.admin": "Admin",
  "role.member": "Mitglied",
  "role.guest": "Gast",
  "role.reader": "Leser/in",

  "person.you": "Sie",
  "person.unknown": "Unbekannte Person",
};

export default { en, de };
