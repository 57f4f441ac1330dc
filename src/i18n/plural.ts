/**
 * A phrase that depends on a number, one form per CLDR plural category of the language
 * (Intl.PluralRules: English has "one" and "other", French "one" for 0 and 1, "many" for millions).
 * `other` is required; a category without its own form uses it.
 */
export type PluralForms = { [K in Intl.LDMLPluralRule]?: (n: number) => string } & { other: (n: number) => string };

const rules = new Map<string, Intl.PluralRules>();

/** The form of `forms` that `n` takes in the BCP 47 locale `intl` ("en-GB", "fr-FR"). */
export function plural(intl: string, n: number, forms: PluralForms): string {
  let rule = rules.get(intl);
  if (!rule) rules.set(intl, (rule = new Intl.PluralRules(intl)));
  return (forms[rule.select(n)] ?? forms.other)(n);
}
