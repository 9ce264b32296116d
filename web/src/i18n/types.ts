// The shape of a dictionary, so that the type checker finds a German text that is missing,
// or lacks a placeholder its English has, and a call of `t()` with a misspelt or missing
// placeholder.

/** A text that depends on a number: `one` for 1 (in English and German), `other` else. */
export interface Plural {
  readonly one: string;
  readonly other: string;
}

/** The placeholder names in a text: `"{a} and {b}"` → `"a" | "b"`. */
export type Vars<S> = S extends `${string}{${infer V}}${infer Rest}` ? V | Vars<Rest> : never;

type Intersect<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/** A text with every one of these placeholders somewhere in it. */
type Holes<V extends string> = [V] extends [never] ? string : Intersect<V extends string ? `${string}{${V}}${string}` : never>;

/** A German dictionary for the English `E`: every key, each with the English placeholders. */
export type Translation<E> = {
  [K in keyof E]: E[K] extends Plural ? { one: Holes<Vars<E[K]["one"]>>; other: Holes<Vars<E[K]["other"]>> } : Holes<Vars<E[K]>>;
};
