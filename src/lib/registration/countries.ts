/** Region codes Intl knows that are not current ISO 3166-1 countries (historic, reserved, groupings). */
const NOT_COUNTRIES = new Set("AC AN BU CP CQ CS DD DG DY EA EU EZ FX HV IC NH QO RH SU TA TP UK UN VD XA XB YD YU ZR ZZ".split(" "));

/** ISO 3166-1 alpha-2 codes (and XK, Kosovo), computed once from the runtime's region names. */
export const COUNTRY_CODES: readonly string[] = (() => {
  const names = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });
  const codes: string[] = [];
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      if (!NOT_COUNTRIES.has(code) && names.of(code)) codes.push(code);
    }
  }
  return codes;
})();

const known = new Set(COUNTRY_CODES);

export function isCountryCode(code: string): boolean {
  return known.has(code);
}

const collators = new Map<string, { names: Intl.DisplayNames; list: { code: string; name: string }[] }>();

/** Countries with their names in `intlLocale`, sorted by name in that language. */
export function countryOptions(intlLocale: string): { code: string; name: string }[] {
  let entry = collators.get(intlLocale);
  if (!entry) {
    const names = new Intl.DisplayNames([intlLocale], { type: "region" });
    const collator = new Intl.Collator(intlLocale);
    const list = COUNTRY_CODES.map((code) => ({ code, name: names.of(code) ?? code })).sort((x, y) => collator.compare(x.name, y.name));
    entry = { names, list };
    collators.set(intlLocale, entry);
  }
  return entry.list;
}
