/** The List commands show whole lists: they read every page the service gives, in order. */
export async function everyPage<Answer extends { nextPageToken: string }, Item>(read: (pageToken: string) => Promise<Answer>, itemsOf: (answer: Answer) => Item[]): Promise<Item[]> {
  const items: Item[] = [];
  const seen = new Set<string>();
  let token = '';
  do {
    const answer = await read(token);
    items.push(...itemsOf(answer));
    token = answer.nextPageToken;
    // A service that handed out a token twice would page forever.
    if (seen.has(token)) throw new Error('the service answered the same page twice; list again');
    seen.add(token);
  } while (token !== '');
  return items;
}
