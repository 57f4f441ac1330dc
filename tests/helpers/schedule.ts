import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { DOMParser } from "@xmldom/xmldom";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import draft6 from "ajv/dist/refs/json-schema-draft-06.json" with { type: "json" };
import { validateXML } from "xmllint-wasm";
import { select as selectXPath } from "xpath";

/** The frab/pretalx schedule XSD (a copy of shared/schemas). */
export const SCHEDULE_XSD = "tests/schemas/schedule.xml.xsd";

let compiled: ReturnType<Ajv["compile"]> | undefined;
let ajv: Ajv | undefined;

/** Validates a document against the community JSON Schema (draft 06); returns "" or the errors. */
export function validateScheduleJson(document: unknown): string {
  if (!compiled) {
    ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
    ajv.addMetaSchema(draft6);
    // Keywords the community schema uses for notes; formats it names beyond ajv-formats.
    ajv.addVocabulary(["$oneOf", "$todo"]);
    addFormats(ajv);
    ajv.addFormat("color", /^#[0-9a-fA-F]{6}$/);
    compiled = ajv.compile(JSON.parse(readFileSync("tests/schemas/schedule.schema.json", "utf8")));
  }
  return compiled(document) ? "" : ajv!.errorsText(compiled.errors);
}

/**
 * Runs xmllint (libxml2's own, compiled to WebAssembly: no system package) on `xml`: well-formedness,
 * and the schema at path `schema` when given. `output` is what the command line tool prints.
 */
export async function validateXml(xml: string, schema?: string): Promise<{ valid: boolean; output: string }> {
  const result = await validateXML({
    xml: [{ fileName: "document.xml", contents: xml }],
    schema: schema ? [{ fileName: basename(schema), contents: readFileSync(schema, "utf8") }] : [],
  });
  return { valid: result.valid, output: result.rawOutput };
}

/**
 * Evaluates an XPath 1.0 expression on `xml` (the `xpath` package over `@xmldom/xmldom`: no system
 * package); returns a string, a number as text, or the text of the nodes found ("" when nothing matches).
 */
export function xpath(xml: string, expression: string): string {
  const errors: string[] = [];
  const document = new DOMParser({ onError: (level, message) => level !== "warning" && errors.push(message) }).parseFromString(
    xml,
    "text/xml",
  );
  if (errors.length) throw new Error(`not well-formed XML: ${errors.join("; ")}`);
  const result = selectXPath(expression, document as unknown as Node);
  if (Array.isArray(result)) return result.map((node) => node.textContent ?? "").join("\n");
  return String(result);
}

/** iCalendar content lines, folded lines joined again. */
export const unfoldIcs = (ics: string) => ics.replace(/\r\n[ \t]/g, "").split("\r\n");

/** The VEVENTs of an iCalendar text, each as its unfolded content lines. */
export function vevents(ics: string): string[][] {
  const events: string[][] = [];
  let current: string[] | null = null;
  for (const line of unfoldIcs(ics)) {
    if (line === "BEGIN:VEVENT") current = [];
    else if (line === "END:VEVENT") {
      events.push(current!);
      current = null;
    } else current?.push(line);
  }
  return events;
}
