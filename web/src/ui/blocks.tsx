// A message's text: the markdown subset as elements (never as HTML), with links and
// mentions.
import type { JSX } from "preact";
import type { Block } from "../gen/Block";
import type { Span } from "../gen/Span";
import { nameOf } from "../lib/people";
import { me } from "../lib/state";

function parsed(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** Where a link leads, shown after its text unless the text says exactly that: the host of a
 * web page (always when the address has a user name in it), the address or number of a
 * mailto: or tel: link. */
function target(text: string, url: string): string | null {
  const u = parsed(url);
  if (!u) return url;
  if (u.protocol === "http:" || u.protocol === "https:") {
    const said = parsed(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
    const plain = !u.username && !u.password && said !== null && !said.username && said.host === u.host;
    return plain ? null : u.host;
  }
  const address = decodeURIComponent(url.slice(u.protocol.length));
  return text === address ? null : address;
}

function spans(list: Span[], key = ""): JSX.Element[] {
  return list.map((s, i) => {
    const k = `${key}${i}`;
    switch (s.t) {
      case "text":
        return <span key={k}>{s.c}</span>;
      case "bold":
        return <strong key={k}>{spans(s.c, k)}</strong>;
      case "italic":
        return <em key={k}>{spans(s.c, k)}</em>;
      case "strike":
        return <s key={k}>{spans(s.c, k)}</s>;
      case "code":
        return <code key={k}>{s.c}</code>;
      case "link": {
        // A web page opens in a new tab; an e-mail address or phone number in its app.
        const protocol = parsed(s.c.url)?.protocol;
        const web = protocol === "http:" || protocol === "https:";
        const hidden = target(s.c.text, s.c.url);
        return (
          <a
            key={k}
            href={s.c.url}
            title={web ? s.c.url : undefined}
            target={web ? "_blank" : undefined}
            rel="noopener noreferrer nofollow"
          >
            {s.c.text}
            {hidden && <span class="link-host"> ({hidden})</span>}
          </a>
        );
      }
      case "mention":
        return (
          <span
            key={k}
            class={s.c.user === me.value?.person.id ? "mention me" : "mention"}
            data-user={s.c.user}
          >
            {/* The person's name as this device knows it, not the label the sender typed. */}
            @{nameOf(s.c.user, s.c.name)}
          </span>
        );
    }
  });
}

export function Blocks(props: { blocks: Block[] }) {
  return (
    <>
      {props.blocks.map((b, i) => {
        switch (b.t) {
          case "paragraph":
            return <p key={i}>{spans(b.c)}</p>;
          case "quote":
            return <blockquote key={i}>{spans(b.c)}</blockquote>;
          case "list_item":
            return (
              <p key={i} class="li">
                <span aria-hidden="true">• </span>
                {spans(b.c)}
              </p>
            );
          case "code_block":
            return (
              <pre key={i}>
                <code>{b.c}</code>
              </pre>
            );
        }
      })}
    </>
  );
}
