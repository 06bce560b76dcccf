/**
 * A registry's lists, a page at a time: its repositories (`/v2/_catalog`) and a repository's
 * tags (`/v2/<repo>/tags/list`), following the `Link` headers; each page is read within the
 * request's retries, so a page cut midway is asked again and never read as empty.
 */
import { CnbError } from "@cnbkit/framework";
import { RegistryRefusal } from "./registry-auth.js";
import type { HttpAnswer } from "./registry-http.js";
import type { RegistrySession } from "./registry-request.js";

/** What {@link listPages} lists: the catalog's repositories, or a repository's tags. */
export interface ListPages {
  /** The first page's path (`/v2/_catalog?n=1000`). */
  first: string;
  repo: string | undefined;
  /** Scopes beyond the repository's (`registry:catalog:*`). */
  extraScopes: string[];
  /** The answer's field that holds the names. */
  field: "repositories" | "tags";
  /** The list as named in errors ("catalog", "tags of team/app"). */
  what: string;
}

/**
 * The names of a list, a page at a time. A registry that serves no catalog (404, or a
 * refusal) is one line that says how else to name the images; a repository that is gone has
 * no tags.
 */
export async function* listPages(session: RegistrySession, list: ListPages): AsyncGenerator<string[]> {
  const { registry } = session;
  const { field, what } = list;
  let url: string | undefined = list.first;
  for (let page = 0; url && page < 100_000; page++) {
    // the page is read within the retries: a page cut midway is asked again, never read as empty
    const { res, bytes }: { res: HttpAnswer; bytes: Buffer } = await session
      .requestBytes({
        method: "GET",
        url,
        repo: list.repo,
        extraScopes: list.extraScopes,
        ok: [200, 404],
        what: `list ${what}`,
      })
      .catch((err: unknown) => {
        if (field === "repositories" && err instanceof RegistryRefusal) {
          throw new CnbError(`registry ${registry} refused its catalog (${err.message})`, {
            hint: "name repositories instead (host/team/app), or list images in a file for --images-from",
          });
        }
        throw err;
      });
    if (res.status === 404) {
      if (field === "repositories") {
        throw new CnbError(`registry ${registry} serves no catalog (/v2/_catalog: HTTP 404)`, {
          hint: "name repositories instead (host/team/app), or list images in a file for --images-from",
        });
      }
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
    } catch {
      throw new CnbError(`registry ${registry}: the ${what} list is not JSON`);
    }
    const items = body[field];
    if (items !== null && items !== undefined && !Array.isArray(items)) {
      throw new CnbError(`registry ${registry}: the ${what} list is not a list of names`);
    }
    yield (items ?? []) as string[];
    const next: string | undefined = /<([^>]+)>\s*;\s*rel="?next"?/.exec(res.headers.get("link") ?? "")?.[1];
    url = next ? new URL(next, `${session.base}/`).toString() : undefined;
  }
}
