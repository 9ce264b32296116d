// The app's own "are you sure?": a dialog with the question, what will happen and two
// buttons, instead of the browser's `confirm()` (which a phone shows as a system alert with
// the site's address, and which stops the page). `ask()` resolves once the person chose.
import { signal } from "@preact/signals";
import { t } from "../lib/i18n";
import { Dialog } from "./common";

interface Question {
  title: string;
  text?: string;
  /** The confirming button's label, a verb ("Delete"), never "OK". */
  yes: string;
  danger?: boolean;
  resolve: (yes: boolean) => void;
}

const open = signal<Question | null>(null);

export function ask(q: Omit<Question, "resolve">): Promise<boolean> {
  open.value?.resolve(false);
  return new Promise((resolve) => {
    open.value = { ...q, resolve };
  });
}

function answer(yes: boolean) {
  const q = open.value;
  open.value = null;
  q?.resolve(yes);
}

/** Mounted once by the app. */
export function AskHost() {
  const q = open.value;
  if (!q) return null;
  return (
    <Dialog title={q.title} onClose={() => answer(false)}>
      <div data-testid="ask">
        {q.text && <p>{q.text}</p>}
        <div class="actions">
          <button type="button" onClick={() => answer(false)} data-testid="ask-no">
            {t("common.cancel")}
          </button>
          <button
            type="button"
            class={q.danger ? "primary danger-fill" : "primary"}
            onClick={() => answer(true)}
            data-testid="ask-yes"
          >
            {q.yes}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
