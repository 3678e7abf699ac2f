/**
 * The WhatsApp id Meta reports for a number sent to, which is not always the number itself
 * (whatsapp-api.md §9): Brazilian mobiles registered before the 9th digit keep their 8-digit form
 * (55 + area + 9 + 8 digits becomes 55 + area + 8 digits), and Mexican mobiles carry the old `1`
 * after the country code (52 + 10 digits becomes 521 + 10 digits). Pure.
 */
export function waIdFor(input: string): string {
  if (/^55\d{2}9\d{8}$/.test(input)) return `${input.slice(0, 4)}${input.slice(5)}`;
  if (/^52\d{10}$/.test(input)) return `521${input.slice(2)}`;
  return input;
}
