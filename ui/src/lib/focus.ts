import { tick } from "svelte";

/**
 * Moves focus to the heading of the screen now shown, once it is drawn, so that after a
 * screen change focus does not fall to the page body and a screen reader announces where
 * the administrator landed. Headings carry tabindex="-1": focusable by script, not by Tab.
 */
export async function focusHeading(): Promise<void> {
  await tick();
  document.querySelector<HTMLElement>("main h1")?.focus();
}

/** Focuses the first element `css` matches once drawn: the next sensible control after an action. */
export async function focusOn(css: string): Promise<void> {
  await tick();
  const target = document.querySelector<HTMLElement>(css);
  if (target && !target.hasAttribute("disabled")) target.focus();
  else await focusHeading();
}
