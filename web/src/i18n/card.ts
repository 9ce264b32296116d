// A person's profile card (from the directory, or a sender in a conversation), in English and
// German. English is the key set; German must have every key, with the same {placeholders}
// (the type checker says when not).
import type { Translation } from "./types";

const en = {
  "card.show": "Show the profile of {name}",
  "card.jobTitle": "Job title",
  "card.teams": "Teams",
  "card.competences": "Competences",
  "card.languages": "Languages",
  "card.location": "Location",
  "card.extension": "Extension",
  "card.email": "E-mail",
  "card.call": "Call {name}: {number}",
  "card.mail": "Write an e-mail to {name}: {email}",
  "card.message": "Message",
  "card.messageName": "Message {name}",
  "card.opening": "Opening the chat…",
  "card.you": "This is you.",
  "card.notFound": "This person is not in your directory.",
  "card.status.suspended": "Suspended",
  "card.status.deprovisioned": "Access ended",
} as const;

const de: Translation<typeof en> = {
  "card.show": "Profil von {name} anzeigen",
  "card.jobTitle": "Tätigkeit",
  "card.teams": "Teams",
  "card.competences": "Kompetenzen",
  "card.languages": "Sprachen",
  "card.location": "Ort",
  "card.extension": "Durchwahl",
  "card.email": "E-Mail",
  "card.call": "{name} anrufen: {number}",
  "card.mail": "E-Mail an {name} schreiben: {email}",
  "card.message": "Nachricht schreiben",
  "card.messageName": "{name} eine Nachricht schreiben",
  "card.opening": "Die Unterhaltung wird geöffnet …",
  "card.you": "Das sind Sie.",
  "card.notFound": "Diese Person ist nicht in Ihrem Verzeichnis.",
  "card.status.suspended": "Gesperrt",
  "card.status.deprovisioned": "Zugang beendet",
};

export default { en, de };
