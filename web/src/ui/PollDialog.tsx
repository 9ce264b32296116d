// A new poll: the question, 2 to 12 options, one choice or several, named or anonymous, and
// when it closes. Sent end to end encrypted like every message; the core checks it again.
import { useState } from "preact/hooks";
import { t } from "../lib/i18n";
import { touched } from "../lib/session";
import { device, toast } from "../lib/state";
import { Busy, Dialog, errorText, Field } from "./common";

const CLOSES: Record<string, number | null> = { never: null, hour: 3600_000, day: 86_400_000, week: 7 * 86_400_000 };

export function PollDialog(props: { conversation: string; onClose: () => void; onSent: () => void }) {
  const [question, setQuestion] = useState("");
  const [options, setOptions] = useState(["", ""]);
  const [multiple, setMultiple] = useState(false);
  const [anonymous, setAnonymous] = useState(false);
  const [closes, setCloses] = useState("never");
  const [busy, setBusy] = useState(false);
  const filled = options.map((o) => o.trim()).filter(Boolean);
  const distinct = new Set(filled).size === filled.length;
  const ready = question.trim().length > 0 && filled.length >= 2 && distinct;

  async function send(e: Event) {
    e.preventDefault();
    if (!ready) return;
    setBusy(true);
    try {
      const after = CLOSES[closes];
      await device().sendPoll(props.conversation, question.trim(), filled, multiple, anonymous, after ? Date.now() + after : null);
      // Redrawn here: no update comes back from the server for this device's own message.
      await touched(props.conversation, []);
      props.onSent();
    } catch (err) {
      toast(errorText(err), "error");
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog title={t("poll.new")} onClose={props.onClose}>
      <form onSubmit={send} data-testid="poll-form">
        <Field label={t("poll.question")} name="poll-question" value={question} onInput={setQuestion} required />
        <fieldset class="audience">
          <legend>{t("poll.options")}</legend>
          {options.map((o, i) => (
            <div class="field" key={i}>
              <label class="sr-only" for={`poll-option-${i}`}>
                {t("poll.option", { n: i + 1 })}
              </label>
              <input
                id={`poll-option-${i}`}
                value={o}
                placeholder={t("poll.option", { n: i + 1 })}
                onInput={(e) => {
                  const v = (e.target as HTMLInputElement).value;
                  setOptions((list) => list.map((x, j) => (j === i ? v : x)));
                }}
              />
            </div>
          ))}
          {options.length < 12 && (
            <button type="button" class="small" onClick={() => setOptions((l) => [...l, ""])}>
              {t("poll.addOption")}
            </button>
          )}
          {!distinct && <p class="error small">{t("poll.sameTwice")}</p>}
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={multiple} onChange={(e) => setMultiple((e.target as HTMLInputElement).checked)} />
          {t("poll.allowMultiple")}
        </label>
        <label class="check">
          <input type="checkbox" checked={anonymous} onChange={(e) => setAnonymous((e.target as HTMLInputElement).checked)} />
          {t("poll.makeAnonymous")}
        </label>
        {anonymous && <p class="hint">{t("poll.anonymousHint")}</p>}
        <div class="field">
          <label for="poll-closes">{t("poll.closesIn")}</label>
          <select id="poll-closes" value={closes} onChange={(e) => setCloses((e.target as HTMLSelectElement).value)}>
            {Object.keys(CLOSES).map((k) => (
              <option key={k} value={k}>
                {t(`poll.closesIn.${k}` as "poll.closesIn.never")}
              </option>
            ))}
          </select>
        </div>
        <div class="actions">
          <Busy busy={busy} disabled={!ready}>
            {t("poll.send")}
          </Busy>
        </div>
      </form>
    </Dialog>
  );
}
