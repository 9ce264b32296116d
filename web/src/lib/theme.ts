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

/** Relative luminance (WCAG) of `#rrggbb`. */
function luminance(hex: string): number {
  const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = c.map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Black or white, whichever reads better on `hex`. */
export function textOn(hex: string): string {
  const l = luminance(hex);
  return (l + 0.05) / 0.05 > 1.05 / (l + 0.05) ? "#000000" : "#ffffff";
}

interface Brand {
  name: string;
  slug: string;
  accent_color: string | null;
  secondary_color: string | null;
}

export function applyBranding(b: Brand | null): void {
  const s = document.documentElement.style;
  const set = (name: string, color: string | null) => {
    if (color) {
      s.setProperty(`--${name}`, color);
      s.setProperty(`--${name}-text`, textOn(color));
    } else {
      s.removeProperty(`--${name}`);
      s.removeProperty(`--${name}-text`);
    }
  };
  set("brand", b?.accent_color ?? null);
  set("brand2", b?.secondary_color ?? null);
  document.title = b ? `${b.name} · Kontor` : "Kontor";
  const meta = document.querySelector('meta[name="theme-color"]');
  meta?.setAttribute("content", b?.secondary_color ?? b?.accent_color ?? "#0f5c4d");
  const manifest = document.querySelector('link[rel="manifest"]');
  manifest?.setAttribute(
    "href",
    b ? `/manifest.webmanifest?org=${encodeURIComponent(b.slug)}` : "/manifest.webmanifest",
  );
}
