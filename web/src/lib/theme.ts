// Light and dark (the system's choice unless the person picks one), and the organisation's
// branding: its colours as CSS variables with readable text on them, its name as the title,
// its manifest for the installed app.
import { signal } from "@preact/signals";

export type ThemeChoice = "system" | "light" | "dark";
const KEY = "kontor.theme";

export const theme = signal<ThemeChoice>(
  (localStorage.getItem(KEY) as ThemeChoice | null) ?? "system",
);

export function setTheme(choice: ThemeChoice): void {
  theme.value = choice;
  localStorage.setItem(KEY, choice);
  applyTheme();
}

const systemDark = matchMedia("(prefers-color-scheme: dark)");
systemDark.addEventListener("change", () => applyTheme());

/** Sets `data-theme` on the document: the person's choice, or the system's. */
export function applyTheme(): void {
  const dark = theme.value === "dark" || (theme.value === "system" && systemDark.matches);
  document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
}

/** Kontor's own colour, used when the organisation has none. */
export const DEFAULT_COLOR = "#0f5c4d";

/** What WCAG AA asks of normal text against what is behind it. */
export const AA_TEXT = 4.5;

/**
 * The surfaces that text in the brand's colour (links, names, mentions) is drawn on, page
 * background first: keep them in step with `--bg`, `--bg2` and `--own` in styles.css.
 */
export const SURFACES = {
  light: ["#ffffff", "#f3f5f4", "#dff3ec"],
  dark: ["#121715", "#1a211e", "#1d3a31"],
} as const;
export type Mode = keyof typeof SURFACES;

type Rgb = [number, number, number];
const rgb = (hex: string): Rgb => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
const hexOf = (c: Rgb): string =>
  "#" + c.map((v) => Math.round(Math.min(255, Math.max(0, v))).toString(16).padStart(2, "0")).join("");

/** Relative luminance (WCAG) of `#rrggbb`. */
export function luminance(hex: string): number {
  const [r, g, b] = rgb(hex)
    .map((v) => v / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of two colours, from 1 to 21. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white, whichever reads better on `hex`. */
export function textOn(hex: string): string {
  return contrast(hex, "#000000") > contrast(hex, "#ffffff") ? "#000000" : "#ffffff";
}

/** `hex` mixed with `to` by `t` (0 = `hex`, 1 = `to`), in sRGB as CSS's color-mix does. */
function mix(hex: string, to: string, t: number): string {
  const a = rgb(hex);
  const b = rgb(to);
  return hexOf([0, 1, 2].map((i) => a[i] + (b[i] - a[i]) * t) as Rgb);
}

/**
 * `hex` as text in the given mode: the colour itself where it reads at 4.5:1 on every
 * surface, else the least darker (light mode) or lighter (dark mode) shade of it that does.
 */
export function readableText(hex: string, mode: Mode): string {
  const to = mode === "light" ? "#000000" : "#ffffff";
  for (let step = 0; step <= 100; step++) {
    const c = mix(hex, to, step / 100);
    if (SURFACES[mode].every((bg) => contrast(c, bg) >= AA_TEXT)) return c;
  }
  return to;
}

/** The header colour toned for dark mode: a darker shade, dim enough not to glare at night. */
export function darkShade(hex: string): string {
  for (let step = 35; step < 100; step += 5) {
    const c = mix(hex, "#000000", step / 100);
    if (luminance(c) <= 0.06) return c;
  }
  return mix(hex, "#000000", 0.95);
}

/**
 * The CSS variables of a branding (see styles.css): the two colours with the text on them,
 * the accent as text in light and dark, the header toned for dark. The app sets them on the
 * document; the admin center's preview sets them on its sample.
 */
export function brandVars(accent: string | null, secondary: string | null): Record<string, string> {
  const a = accent ?? DEFAULT_COLOR;
  const s = secondary ?? DEFAULT_COLOR;
  const dark2 = darkShade(s);
  return {
    "--brand": a,
    "--brand-text": textOn(a),
    "--brand-fg-light": readableText(a, "light"),
    "--brand-fg-dark": readableText(a, "dark"),
    "--brand2": s,
    "--brand2-text": textOn(s),
    "--brand2-dark": dark2,
    "--brand2-dark-text": textOn(dark2),
  };
}

interface Brand {
  name: string;
  slug: string;
  accent_color: string | null;
  secondary_color: string | null;
}

export function applyBranding(b: Brand | null): void {
  const s = document.documentElement.style;
  for (const [name, value] of Object.entries(brandVars(b?.accent_color ?? null, b?.secondary_color ?? null))) {
    s.setProperty(name, value);
  }
  document.title = b ? `${b.name} · Kontor` : "Kontor";
  const meta = document.querySelector('meta[name="theme-color"]');
  meta?.setAttribute("content", b?.secondary_color ?? b?.accent_color ?? DEFAULT_COLOR);
  const manifest = document.querySelector('link[rel="manifest"]');
  manifest?.setAttribute(
    "href",
    b ? `/manifest.webmanifest?org=${encodeURIComponent(b.slug)}` : "/manifest.webmanifest",
  );
}
