// Pages are paths (`/c/<id>`, `/admin/people`, …), so links, the back button and a reload
// all work; the server answers every page path with the app shell.
import { signal } from "@preact/signals";

export type Route =
  | { page: "home"; filter?: string }
  | { page: "conversation"; id: string; panel?: "members" }
  | { page: "new"; kind?: "direct" | "group" | "channel" }
  | { page: "profile" }
  | { page: "admin"; section: AdminSection }
  | { page: "join" }
  | { page: "setup" }
  | { page: "login" }
  | { page: "link" };

export type AdminSection =
  | "people"
  | "invitations"
  | "import"
  | "teams"
  | "policies"
  | "audit"
  | "branding";

const SECTIONS: AdminSection[] = [
  "people",
  "invitations",
  "import",
  "teams",
  "policies",
  "audit",
  "branding",
];

export function parse(path: string, search = ""): Route {
  const parts = path.split("/").filter(Boolean);
  const q = new URLSearchParams(search);
  switch (parts[0]) {
    case "c":
      return parts[1]
        ? { page: "conversation", id: parts[1], panel: parts[2] === "members" ? "members" : undefined }
        : { page: "home" };
    case "new": {
      const kind = q.get("kind");
      return {
        page: "new",
        kind: kind === "group" || kind === "channel" || kind === "direct" ? kind : undefined,
      };
    }
    case "channels":
      return { page: "home", filter: "channels" };
    case "profile":
      return { page: "profile" };
    case "admin": {
      const s = parts[1] as AdminSection;
      return { page: "admin", section: SECTIONS.includes(s) ? s : "people" };
    }
    case "join":
      return { page: "join" };
    case "setup":
      return { page: "setup" };
    case "login":
      return { page: "login" };
    case "link":
      return { page: "link" };
    default:
      return { page: "home" };
  }
}

export const route = signal<Route>(parse(location.pathname, location.search));

/** Goes to a page (a new history entry unless `replace`). */
export function navigate(path: string, replace = false): void {
  const url = new URL(path, location.origin);
  if (replace) history.replaceState(null, "", url.pathname + url.search + url.hash);
  else history.pushState(null, "", url.pathname + url.search + url.hash);
  route.value = parse(url.pathname, url.search);
}

addEventListener("popstate", () => {
  route.value = parse(location.pathname, location.search);
});
