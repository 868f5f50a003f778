/*
 * <helpdir-directory>: the helpdir directory of help with stalking and harassment, for any
 * web page. No dependencies. It reads the public API and nothing else: no cookies, no
 * storage, no third-party requests, no history entries. Docs: docs/embed.md.
 *
 * Everything from the API is put on the page as text nodes, never parsed as HTML, and
 * a link is made only from an http(s) URL or from the digits of a phone number.
 */
(() => {
  "use strict";

  const TAG = "helpdir-directory";
  if (!window.customElements || window.customElements.get(TAG)) return;

  // The API defaults to the server this script came from (the folder above /embed/, so a
  // server behind a path prefix works too): a third-party page needs only the <script> tag.
  const script = document.currentScript;
  const SCRIPT_SERVER = (script && script.src ? new URL("..", script.src).href : location.origin).replace(/\/+$/, "");
  const DEFAULT_EXIT_URL = "https://www.bbc.co.uk/weather";
  const ESCAPE_WINDOW_MS = 1500;
  const PAGE_SIZE = 1000; // the API's maximum
  const MAX_PAGES = 20;
  const EMERGENCY_NUMBER = "999"; // shown even when the directory cannot be loaded

  // Emergency ways first, in the order a person in danger needs them.
  const METHOD_ORDER = ["voice", "textphone", "sms", "silent_call", "online", "in_person"];
  const PHONE_VERBS = { voice: "Call", textphone: "Textphone", text: "Text", sms: "Text" };

  const STYLE = `
:host { display: block; }
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: border-box; }
/* On an inner box, not :host: the host page's rules for the element itself win over :host. */
.root { all: initial; display: block; max-width: 60em; padding: 0.5em; overflow-wrap: anywhere;
  color: #0b0c0c; background: #fff; font-family: system-ui, -apple-system, "Segoe UI", Roboto,
  Arial, sans-serif; font-size: medium; font-weight: 400; font-style: normal; line-height: 1.5;
  letter-spacing: normal; word-spacing: normal; text-align: start; text-transform: none;
  visibility: visible; }
h2, h3, h4, h5, h6, [role="heading"] { line-height: 1.25; margin: 1.2em 0 0.4em; font-weight: 700; }
.h-section { font-size: 1.5em; }
.h-item { font-size: 1.15em; margin-top: 0; }
p { margin: 0.4em 0; }
ul, ol { margin: 0.4em 0; padding-inline-start: 1.5em; }
.cards { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.75em; }
.card { border: 2px solid #505a5f; border-radius: 4px; padding: 0.75em 1em; background: #fff; }
.emergency .card { border-color: #a4000f; border-inline-start-width: 8px; }
.exit-bar { position: sticky; top: 0; z-index: 1; display: flex; flex-wrap: wrap;
  align-items: center; gap: 0.25em 0.75em; padding: 0.5em; background: #fff;
  border-bottom: 2px solid #505a5f; }
/* Whatever is scrolled to or focused stops below the sticky exit bar, never under it. */
section, li, a, button, input, select { scroll-margin-top: 5em; }
@media (max-width: 30em) { section, li, a, button, input, select { scroll-margin-top: 8em; } }
.exit { font: inherit; font-weight: 700; font-size: 1.05em; color: #fff; background: #a4000f;
  border: 2px solid #a4000f; border-radius: 4px; padding: 0.5em 1em; cursor: pointer;
  min-height: 44px; }
.exit:hover { background: #7a000b; }
.hint { font-size: 0.95em; color: #383f43; }
a { color: #0b4b8f; text-decoration: underline; text-underline-offset: 0.15em; }
a:visited { color: #4c2c92; }
a:hover { color: #003078; text-decoration-thickness: 3px; }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible {
  outline: 3px solid #0b0c0c; outline-offset: 2px; box-shadow: 0 0 0 6px #ffdd00; }
a:focus-visible { background: #ffdd00; color: #0b0c0c; text-decoration: none; }
.contacts { list-style: none; padding: 0; display: flex; flex-direction: column; gap: 0.5em; }
.contact { display: inline-block; font-weight: 700; font-size: 1.1em; padding: 0.3em 0;
  min-height: 44px; line-height: 2; }
.label { font-weight: 700; margin-bottom: 0; }
dl { margin: 0.5em 0; }
dl > div { margin: 0.4em 0; }
dt { font-weight: 700; }
dd { margin: 0; }
.controls { display: flex; flex-wrap: wrap; gap: 0.75em 1em; margin: 0.5em 0 1em; }
.control { display: flex; flex-direction: column; flex: 1 1 14em; min-width: 0; }
.control label { font-weight: 700; margin-bottom: 0.2em; }
input, select { font: inherit; color: #0b0c0c; background: #fff; border: 2px solid #0b0c0c;
  border-radius: 0; padding: 0.35em 0.5em; min-height: 44px; width: 100%; max-width: 100%; }
.status { font-weight: 700; }
.muted { color: #383f43; }
.error { border: 4px solid #a4000f; padding: 0.75em 1em; }
@media (forced-colors: active) { .exit { border-color: ButtonText; }
  a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline-color: Highlight; } }
`;

  // -- small helpers --------------------------------------------------------------------

  /** An element with attributes and children; strings become text nodes, so never markup. */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  /** An absolute http(s) URL as a string, or null: no javascript:, data: or relative links. */
  function httpUrl(value) {
    if (typeof value !== "string") return null;
    try {
      const url = new URL(value);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch {
      return null;
    }
  }

  /**
   * The number a phone dials: its digits, with a leading + kept. An extension is not dialled
   * (its digits would make another number), nor the "(0)" of "+44 (0)20 …". Null if there
   * are no digits.
   */
  function dialable(number) {
    if (typeof number !== "string") return null;
    let main = number.trim().split(/\s*(?:ext\.?|extension|x|#)\s*(?=\d)/i)[0];
    const international = main.startsWith("+");
    if (international) main = main.replace(/\(0\)/g, "");
    const digits = main.replace(/[^0-9]/g, "");
    if (!digits) return null;
    return (international ? "+" : "") + digits;
  }

  /** "0808 802 0300" as a screen reader should say it: digit by digit, groups apart. */
  function spoken(number) {
    const [main, extension] = number.trim().split(/\s*(?:ext\.?|extension|x|#)\s*(?=\d)/i);
    const groups = main.split(/[\s\-().]+/).map((group) =>
      group.replace(/[^0-9+]/g, "").split("").map((c) => (c === "+" ? "plus" : c)).join(" ")
    );
    const said = groups.filter(Boolean).join(", ");
    return extension ? `${said}, extension ${spoken(extension)}` : said;
  }

  /** Lower case without accents, so "cafe" finds "Café". */
  function folded(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function listAttribute(value) {
    return String(value || "").split(",").map((part) => part.trim()).filter(Boolean);
  }

  let uid = 0;
  const nextId = (stem) => `helpdir-${stem}-${++uid}`;

  // -- leaving quickly ------------------------------------------------------------------

  /** Swaps the page for another without a history entry, so Back does not return here. */
  function leave(url) {
    for (const widget of document.querySelectorAll(TAG)) widget.hide();
    window.location.replace(url);
  }

  let lastEscape = 0;
  let listening = 0;
  function onKeydown(event) {
    if (event.key !== "Escape" && event.key !== "Esc") return;
    const now = Date.now();
    if (now - lastEscape <= ESCAPE_WINDOW_MS) {
      lastEscape = 0;
      const first = document.querySelector(TAG);
      leave(first ? first.exitUrl : DEFAULT_EXIT_URL);
    } else {
      lastEscape = now;
    }
  }

  // -- the element ----------------------------------------------------------------------

  class HelpdirDirectory extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: "open" });
      this.data = null;
      this.started = false;
    }

    get exitUrl() {
      return httpUrl(this.getAttribute("data-exit-url")) || DEFAULT_EXIT_URL;
    }

    get apiBase() {
      const given = this.getAttribute("data-api");
      if (given) {
        try {
          const url = new URL(given, location.href);
          if (url.protocol === "https:" || url.protocol === "http:") return url.href.replace(/\/+$/, "");
        } catch {
          /* fall back to the script's server */
        }
      }
      return SCRIPT_SERVER;
    }

    get headingLevel() {
      const level = Number.parseInt(this.getAttribute("data-heading-level") || "2", 10);
      return level >= 2 && level <= 5 ? level : 2;
    }

    connectedCallback() {
      if (listening++ === 0) window.addEventListener("keydown", onKeydown, true);
      if (this.started) return;
      this.started = true;
      this.renderShell();
      this.load();
    }

    disconnectedCallback() {
      if (--listening === 0) window.removeEventListener("keydown", onKeydown, true);
    }

    hide() {
      this.shadowRoot.replaceChildren();
    }

    heading(offset, text, id) {
      const level = this.headingLevel + offset;
      return el(`h${level}`, { id, class: offset ? "h-item" : "h-section" }, text);
    }

    renderShell() {
      const root = this.shadowRoot;
      if ("adoptedStyleSheets" in root && window.CSSStyleSheet && "replaceSync" in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet(); // not blocked by a host page's style-src CSP
        sheet.replaceSync(STYLE);
        root.adoptedStyleSheets = [sheet];
      } else {
        root.append(el("style", {}, STYLE));
      }
      const hintId = nextId("exit-hint");
      const exit = el(
        "button",
        { type: "button", class: "exit", "aria-describedby": hintId },
        "Leave this site quickly"
      );
      exit.addEventListener("click", () => leave(this.exitUrl));
      this.status = el("p", { class: "status", role: "status" }, "Loading ways to get help…");
      this.body = el("div", { class: "content" });
      root.append(
        el(
          "div",
          { class: "root", lang: "en-GB" },
          el("div", { class: "exit-bar" }, exit, el("span", { class: "hint", id: hintId }, "Or press Esc twice.")),
          this.status,
          this.body
        )
      );
    }

    async fetchAll(path) {
      const records = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const separator = path.includes("?") ? "&" : "?";
        const response = await fetch(`${this.apiBase}${path}${separator}per_page=${PAGE_SIZE}&page=${page}`, {
          credentials: "omit",
          referrerPolicy: "no-referrer",
          mode: "cors",
          cache: "no-store", // nothing about this visit left in the browser's cache
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const body = await response.json();
        if (!Array.isArray(body.contents)) throw new Error("not a page of records");
        records.push(...body.contents);
        if (body.last_page !== false || page >= body.total_pages) return records;
      }
      throw new Error("too many pages");
    }

    async load() {
      try {
        const [channels, services, terms] = await Promise.all([
          this.fetchAll("/v1/reporting_channels"),
          this.fetchAll("/v1/services?full=true"),
          this.fetchAll("/v1/taxonomy_terms"),
        ]);
        this.data = { channels, services, terms };
      } catch {
        this.renderFailure();
        return;
      }
      this.renderDirectory();
    }

    renderFailure() {
      const number = EMERGENCY_NUMBER;
      this.status.textContent = "";
      this.body.replaceChildren(
        el(
          "div",
          { class: "error", role: "alert" },
          el("p", {}, "The directory of help could not be loaded just now."),
          el("p", {}, "If you or someone else is in danger, call ", phoneLink(number, "voice"), ".")
        )
      );
    }

    // -- what the attributes let through --------------------------------------------------

    inArea(areaNames) {
      const wanted = listAttribute(this.getAttribute("data-area")).map(folded);
      if (!wanted.length || !areaNames.length) return true; // no areas: available anywhere
      return areaNames.some((name) => wanted.includes(folded(name)));
    }

    renderDirectory() {
      const { channels, services, terms } = this.data;
      this.termsById = new Map(terms.map((term) => [term.id, term]));
      const rank = (method) => (METHOD_ORDER.includes(method) ? METHOD_ORDER.indexOf(method) : METHOD_ORDER.length);
      const byOrder = (a, b) => rank(a.method) - rank(b.method) || a.name.localeCompare(b.name);
      // Emergency ways are never hidden by data-area: 999 works anywhere in the UK.
      const emergency = channels.filter((c) => c.urgency === "emergency").sort(byOrder);
      const other = channels
        .filter((c) => c.urgency !== "emergency" && this.inArea(c.service_areas || []))
        .sort(byOrder);
      const limitTerms = listAttribute(this.getAttribute("data-taxonomy-term"));
      this.services = services
        .filter((s) => this.inArea((s.service_areas || []).map((a) => a.name)))
        .filter((s) => !limitTerms.length || limitTerms.some((t) => this.offers(s, t)))
        .map((s) => ({ record: s, text: folded(this.searchText(s)) }));

      const sections = [];
      const emergencyId = nextId("emergency");
      sections.push(
        el(
          "section",
          { class: "emergency", "aria-labelledby": emergencyId },
          this.heading(0, "In an emergency", emergencyId),
          el("p", {}, "If you or someone else is in danger now:"),
          emergency.length
            ? el("ul", { class: "cards" }, emergency.map((c) => this.channelCard(c)))
            : el("p", {}, phoneLink(EMERGENCY_NUMBER, "voice")) // never an empty emergency list
        )
      );
      if (other.length) {
        const otherId = nextId("non-emergency");
        sections.push(
          el(
            "section",
            { class: "non-emergency", "aria-labelledby": otherId },
            this.heading(0, "When it is not an emergency", otherId),
            el("ul", { class: "cards" }, other.map((c) => this.channelCard(c)))
          )
        );
      }
      sections.push(this.servicesSection());
      this.status.textContent = "";
      this.status.hidden = true;
      this.body.replaceChildren(...sections);
      this.applyFilters();
    }

    // -- reporting channels ----------------------------------------------------------------

    channelCard(channel) {
      const parts = [this.heading(1, channel.name), el("p", {}, channel.description || "")];
      const contact = channelContact(channel);
      if (contact) parts.push(el("p", {}, contact));
      if (channel.requirements && channel.requirements.length) {
        parts.push(el("p", { class: "label" }, "Before you use it"), el("ul", {}, channel.requirements.map((r) => el("li", {}, r))));
      }
      if (channel.steps && channel.steps.length) {
        parts.push(el("p", { class: "label" }, "What to do"), el("ol", {}, channel.steps.map((s) => el("li", {}, s))));
      }
      if (channel.service_areas && channel.service_areas.length) {
        parts.push(el("p", { class: "muted" }, `Where: ${channel.service_areas.join(", ")}`));
      }
      return el("li", { class: "card", "data-channel-id": channel.id }, parts);
    }

    // -- services ----------------------------------------------------------------------

    /** The term itself and every term above it, so "Victim support" finds a helpline. */
    lineage(termId) {
      const seen = [];
      let term = this.termsById.get(termId);
      while (term && !seen.includes(term.id)) {
        seen.push(term.id);
        term = term.parent_id ? this.termsById.get(term.parent_id) : null;
      }
      return seen.length ? seen : [termId];
    }

    /** Whether a service has the term (by id or code), or a narrower one. */
    offers(service, idOrCode) {
      return (service.attributes || []).some((attribute) =>
        this.lineage(attribute.taxonomy_term_id).some((id) => {
          const term = this.termsById.get(id);
          return id === idOrCode || (term && term.code === idOrCode);
        })
      );
    }

    termsOf(service, linkType) {
      return (service.attributes || [])
        .filter((a) => a.link_type === linkType && a.taxonomy_term)
        .map((a) => a.taxonomy_term);
    }

    searchText(service) {
      return [
        service.name,
        service.description,
        service.organization && service.organization.name,
        service.eligibility_description,
        ...(service.attributes || []).map((a) => a.taxonomy_term && a.taxonomy_term.name),
        ...(service.service_areas || []).map((a) => a.name),
      ].join(" ");
    }

    /** The filter's choices: terms some listed service has, with their broader terms. */
    choices(linkType) {
      const ids = new Set();
      for (const { record } of this.services) {
        for (const attribute of record.attributes || []) {
          if (attribute.link_type === linkType) this.lineage(attribute.taxonomy_term_id).forEach((id) => ids.add(id));
        }
      }
      return [...ids]
        .map((id) => this.termsById.get(id))
        .filter(Boolean)
        .sort((a, b) => a.name.localeCompare(b.name));
    }

    select(label, anyLabel, terms) {
      const id = nextId("select");
      const select = el(
        "select",
        { id },
        el("option", { value: "" }, anyLabel),
        terms.map((term) => el("option", { value: term.id }, term.name))
      );
      select.addEventListener("change", () => this.applyFilters());
      return [select, el("div", { class: "control" }, el("label", { for: id }, label), select)];
    }

    servicesSection() {
      const headingId = nextId("services");
      const searchId = nextId("search");
      this.search = el("input", { id: searchId, type: "search", autocomplete: "off", spellcheck: "false" });
      this.search.addEventListener("input", () => this.applyFilters());
      const [need, needControl] = this.select("What help do you need?", "Any kind of help", this.choices("service_type"));
      const [who, whoControl] = this.select("Who is it for?", "Anyone", this.choices("audience"));
      this.need = need;
      this.who = who;
      this.count = el("p", { class: "status", role: "status", "aria-live": "polite" });
      this.list = el("ul", { class: "cards" });
      this.cards = this.services.map((entry) => ({ ...entry, card: this.serviceCard(entry.record) }));
      this.list.append(...this.cards.map((entry) => entry.card));
      return el(
        "section",
        { class: "services", "aria-labelledby": headingId },
        this.heading(0, "Services that can help", headingId),
        el(
          "div",
          { class: "controls", role: "search", "aria-label": "Find a service" },
          el("div", { class: "control" }, el("label", { for: searchId }, "Search services"), this.search),
          needControl,
          whoControl
        ),
        this.count,
        this.list
      );
    }

    applyFilters() {
      if (!this.cards) return;
      const words = folded(this.search.value).split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const { record, text, card } of this.cards) {
        const visible =
          words.every((word) => text.includes(word)) &&
          (!this.need.value || this.offers(record, this.need.value)) &&
          (!this.who.value || this.offers(record, this.who.value));
        card.hidden = !visible;
        shown += visible ? 1 : 0;
      }
      const total = this.cards.length;
      this.count.textContent =
        shown === total
          ? `${total} ${total === 1 ? "service" : "services"}`
          : `${shown} of ${total} services match`;
    }

    serviceCard(service) {
      const parts = [this.heading(1, service.name)];
      if (service.organization && service.organization.name) {
        parts.push(el("p", { class: "muted" }, `Run by ${service.organization.name}`));
      }
      if (service.description) parts.push(el("p", {}, service.description));
      const facts = [];
      const fact = (term, ...value) => facts.push(el("div", {}, el("dt", {}, term), el("dd", {}, ...value)));
      const offers = this.termsOf(service, "service_type").map((t) => t.name);
      if (offers.length) fact("What it offers", offers.join(", "));
      const audience = this.termsOf(service, "audience").map((t) => t.name);
      const ages = ageRange(service.minimum_age, service.maximum_age);
      if (audience.length || ages) fact("Who it is for", [...audience, ...(ages ? [ages] : [])].join(", "));
      if (service.eligibility_description) fact("Eligibility", service.eligibility_description);
      const areas = (service.service_areas || []).map((a) => a.name);
      if (areas.length) fact("Where", areas.join(", "));
      if (facts.length) parts.push(el("dl", {}, facts));

      const contacts = serviceContacts(service);
      if (contacts.length) {
        parts.push(el("p", { class: "label" }, "How to contact"), el("ul", { class: "contacts" }, contacts));
      }
      return el("li", { class: "card", "data-service-id": service.id }, parts);
    }
  }

  // -- contact links ------------------------------------------------------------------------

  /**
   * A tap-to-call (or text) link. Its accessible name is the visible text, so voice control
   * finds it by what it shows (WCAG 2.5.3), then the number digit by digit, so a screen
   * reader never says "0808" as "eight hundred and eight": "Call 999: 9 9 9".
   */
  function phoneLink(number, type) {
    const target = dialable(number);
    const verb = PHONE_VERBS[type] || "Call";
    if (!target) return el("span", {}, number);
    const scheme = verb === "Text" ? "sms:" : "tel:";
    const shown = `${verb} ${number.trim()}`;
    return el("a", { class: "contact", href: scheme + target, "aria-label": `${shown}: ${spoken(number)}` }, shown);
  }

  function webLink(url, text) {
    const href = httpUrl(url);
    if (!href) return null;
    // No referrer: the site at the other end need not learn which page sent the person.
    return el("a", { href, rel: "noopener noreferrer", referrerpolicy: "no-referrer" }, text);
  }

  function channelContact(channel) {
    if (channel.number && ["voice", "silent_call", "textphone", "sms"].includes(channel.method)) {
      return phoneLink(channel.number, channel.method === "silent_call" ? "voice" : channel.method);
    }
    if (channel.url) return webLink(channel.url, `Go to: ${channel.name}`);
    return null;
  }

  function serviceContacts(service) {
    const items = [];
    for (const phone of service.phones || []) {
      if (!["voice", "text", "sms", "textphone", undefined].includes(phone.type)) continue; // fax, pager
      items.push(el("li", {}, phoneLink(phone.number, phone.type || "voice"), phone.description ? el("br") : null, phone.description || null));
    }
    if (typeof service.email === "string" && /^[^\s@<>"]+@[^\s@<>"]+$/.test(service.email)) {
      items.push(el("li", {}, el("a", { href: `mailto:${service.email}` }, `Email ${service.email}`)));
    }
    const site = webLink(service.url, `Website of ${service.name}`);
    if (site) items.push(el("li", {}, site));
    return items;
  }

  function ageRange(minimum, maximum) {
    if (minimum != null && maximum != null) return `aged ${minimum} to ${maximum}`;
    if (minimum != null) return `aged ${minimum} or over`;
    if (maximum != null) return `aged up to ${maximum}`;
    return "";
  }

  window.customElements.define(TAG, HelpdirDirectory);
})();
