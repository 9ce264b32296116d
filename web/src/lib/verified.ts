// Colleagues this person verified on this device: the safety number they compared (lib/kept.ts).
// Shown as "verified" while the number is the same; if it changes (a new identity key), the
// app warns instead.
import { kept } from "./kept";

/** Person → the safety number compared with them. */
const verified = kept<Record<string, string>>("verified-people", () => ({}));
export const verifiedPeople = verified.value;
export const loadVerified = verified.load;

export function setVerified(person: string, number: string | null): void {
  const next = { ...verifiedPeople.value };
  if (number) next[person] = number;
  else delete next[person];
  verified.set(next);
}
