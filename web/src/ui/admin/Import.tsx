// Inviting many people at once from a CSV file (e.g. exported from a spreadsheet): every
// line is invited on its own; the report names each skipped line with the reason (rendered
// here from its code and values) and shows each new invitation's link, once. Column names in
// English or German; a file that is not UTF-8 is read as Windows-1252.
import { useRef, useState } from "preact/hooks";
import { importInvitations } from "../../lib/endpoints";
import { lang, t } from "../../lib/i18n";
import { directoryChanged } from "../../lib/state";
import { IMPORT_COLUMNS } from "../../gen/importColumns";
import type { ImportColumn } from "../../gen/ImportColumn";
import type { ImportLine } from "../../gen/ImportLine";
import type { ImportReport } from "../../gen/ImportReport";
import { Busy, errorText } from "../common";
import { useSubmit } from "../hooks";
import { CopyButton } from "./fields";

const EXAMPLE = {
  en: [
    "email,display_name,role,teams,job_title,competences,languages",
    "max.mueller@example.org,Max Müller,member,Pflege,Pflegefachkraft,Wundversorgung;Palliativpflege,Deutsch;Polnisch",
    "lea.yilmaz@example.org,Lea Yılmaz,admin,Verwaltung,Teamleitung,,Deutsch;Türkisch",
  ],
  de: [
    "Name;E-Mail;Rolle;Teams;Berufsbezeichnung;Kompetenzen;Sprachen",
    'Max Müller;max.mueller@example.org;Mitglied;Pflege;Pflegefachkraft;"Wundversorgung;Palliativpflege";"Deutsch;Polnisch"',
    'Lea Yılmaz;lea.yilmaz@example.org;Admin;Verwaltung;Teamleitung;;"Deutsch;Türkisch"',
  ],
};

/** A column by its name in the current language. */
function columnName(c: ImportColumn): string {
  return lang.value === "de" ? (IMPORT_COLUMNS.find((x) => x.name === c)?.german ?? c) : c;
}

/** Why a line was skipped, from its reason's code and values, in the current language. */
function reason(line: ImportLine): string {
  const r = line.reason;
  if (!r) return line.error?.message ?? "";
  switch (r.code) {
    case "line_malformed":
      return t("admin.import.reason.line_malformed");
    case "email_missing":
      return t("admin.import.reason.email_missing");
    case "email_invalid":
      return t("admin.import.reason.email_invalid", { email: r.email });
    case "email_repeated":
      return t("admin.import.reason.email_repeated", { line: r.line });
    case "email_taken":
      return t("admin.import.reason.email_taken");
    case "name_missing":
      return t("admin.import.reason.name_missing");
    case "name_invalid":
      return t("admin.import.reason.name_invalid");
    case "role_unknown":
      return t("admin.import.reason.role_unknown", { role: r.role });
    case "owner_needs_owner":
      return t("admin.import.reason.owner_needs_owner");
    case "guests_off":
      return t("admin.import.reason.guests_off");
    case "team_unknown":
      return t("admin.import.reason.team_unknown", { team: r.team });
    case "field_invalid":
      return t("admin.import.reason.field_invalid", { column: columnName(r.column) });
    case "refused":
      // The server's sentence, in the language the request asked for.
      return line.error?.message || t("error.generic");
  }
}

/** A file's text: UTF-8 if it is, else Windows-1252 (as Excel saves CSV on German Windows),
 * as the server reads it. */
async function readText(file: File): Promise<string> {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("windows-1252").decode(bytes);
  }
}

export function Import() {
  const [text, setText] = useState("");
  const [fileName, setFileName] = useState<string | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const reportRef = useRef<HTMLElement>(null);

  async function pick(e: Event) {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    setFileError(null);
    if (!file) return;
    if (file.size > 5 * 1024 * 1024) {
      setFileError(t("admin.import.fileTooLarge"));
      return;
    }
    try {
      setText(await readText(file));
      setFileName(file.name);
    } catch {
      setFileError(t("admin.import.fileUnreadable"));
    }
  }

  const { busy, error, submit: run } = useSubmit(async () => {
    setReport(null);
    const r = await importInvitations(text);
    setReport(r);
    directoryChanged.value++;
    // The report is what the admin needs next.
    setTimeout(() => reportRef.current?.focus(), 0);
  });

  const links = report?.lines
    .filter((l) => l.invitation)
    .map((l) => `${l.invitation!.invitation.email}\t${l.invitation!.link}`)
    .join("\n");

  return (
    <section aria-labelledby="import-h" data-testid="admin-import">
      <h2 id="import-h">{t("admin.section.import")}</h2>
      <section class="card" aria-labelledby="import-how-h">
        <h3 id="import-how-h">{t("admin.import.howTitle")}</h3>
        <ul class="admin-how">
          <li>{t("admin.import.howHeader")}</li>
          <li>{t("admin.import.howEmail")}</li>
          <li>{t("admin.import.howLists")}</li>
          <li>{t("admin.import.howDelimiter")}</li>
          <li>{t("admin.import.howRoles")}</li>
          <li>{t("admin.import.howTeams")}</li>
        </ul>
        <div class="table-wrap">
          <table class="admin-table admin-columns">
            <caption class="sr-only">{t("admin.import.columns")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("admin.import.column")}</th>
                <th scope="col">{t("admin.import.meaning")}</th>
              </tr>
            </thead>
            <tbody>
              {IMPORT_COLUMNS.map((c) => (
                <tr key={c.name}>
                  <td>
                    <code>{c.name}</code> {t("admin.import.or")} <code>{c.german}</code>
                    {c.required && <span class="tag">{t("admin.import.required")}</span>}
                  </td>
                  <td>{t(`admin.import.col.${c.name}`)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <details class="admin-example">
          <summary>{t("admin.import.example")}</summary>
          <pre>{EXAMPLE[lang.value].join("\n")}</pre>
        </details>
      </section>

      <form class="card" onSubmit={run} aria-labelledby="import-run-h">
        <h3 id="import-run-h">{t("admin.import.runTitle")}</h3>
        <div class="field">
          <label for="import-file">{t("admin.import.file")}</label>
          <input
            id="import-file"
            type="file"
            accept=".csv,text/csv"
            onChange={pick}
            aria-describedby={fileError ? "import-file-err" : "import-file-hint"}
          />
          {fileError ? (
            <p class="error" id="import-file-err" role="alert">
              {fileError}
            </p>
          ) : (
            <p class="hint" id="import-file-hint">
              {fileName ? t("admin.import.fileLoaded", { name: fileName }) : t("admin.import.fileHint")}
            </p>
          )}
        </div>
        <div class="field">
          <label for="import-text">{t("admin.import.text")}</label>
          <textarea
            id="import-text"
            class="admin-csv"
            rows={8}
            spellcheck={false}
            value={text}
            placeholder={EXAMPLE[lang.value].join("\n")}
            onInput={(e) => {
              setText((e.target as HTMLTextAreaElement).value);
              setFileName(null);
            }}
          />
        </div>
        {error ? (
          <p class="error" role="alert">
            {errorText(error)}
          </p>
        ) : null}
        <div class="actions">
          <Busy busy={busy} disabled={!text.trim()}>
            {t("admin.import.submit")}
          </Busy>
        </div>
      </form>

      {report && (
        <section class="card" aria-labelledby="import-report-h" data-testid="import-report" ref={reportRef} tabIndex={-1}>
          <h3 id="import-report-h">{t("admin.import.report")}</h3>
          <p role="status" data-testid="import-summary">
            <strong>{t("admin.import.summary", { imported: report.imported, skipped: report.skipped })}</strong>
          </p>
          {report.imported > 0 && <p class="admin-warning">{t("admin.import.onlyNow")}</p>}
          {links && (
            <div class="row-actions">
              <CopyButton text={links}>{t("admin.import.copyAll")}</CopyButton>
              <span class="muted small admin-copy-hint">{t("admin.import.copyAllHint")}</span>
            </div>
          )}
          {report.lines.length === 0 ? (
            <p class="muted">{t("admin.import.empty")}</p>
          ) : (
            <div class="table-wrap">
              <table class="admin-table" data-testid="import-lines">
                <thead>
                  <tr>
                    <th scope="col">{t("admin.import.line")}</th>
                    <th scope="col">{t("admin.import.email")}</th>
                    <th scope="col">{t("admin.import.result")}</th>
                    <th scope="col">{t("admin.import.link")}</th>
                  </tr>
                </thead>
                <tbody>
                  {report.lines.map((l) => (
                    <tr key={l.line} class={l.imported ? "ok" : "skipped"} data-line={l.line}>
                      <td>{l.line}</td>
                      <td class="admin-break">{l.email ?? "–"}</td>
                      <td>
                        {l.imported ? (
                          <span class="tag admin-inv open">{t("admin.import.imported")}</span>
                        ) : (
                          <>
                            <span class="tag admin-inv revoked">{t("admin.import.skipped")}</span>
                            <span class="error admin-reason">{reason(l)}</span>
                          </>
                        )}
                      </td>
                      <td>
                        {l.invitation ? (
                          <span class="admin-link-cell">
                            <code class="admin-url">{l.invitation.link}</code>
                            <CopyButton
                              text={l.invitation.link}
                              label={t("admin.import.copyLink", { email: l.invitation.invitation.email })}
                            />
                          </span>
                        ) : (
                          <span class="muted">–</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      )}
    </section>
  );
}
