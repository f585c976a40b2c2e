/**
 * The one way our views build elements: text always goes in through `textContent`, so a
 * name or description from the store can never become markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text = ''
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  node.textContent = text;
  return node;
}
