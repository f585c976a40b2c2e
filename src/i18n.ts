/**
 * Translation: every string the user reads goes through a `TranslationBundle` of our gettext
 * domain. Plugins load it from the lab's `ITranslator` and hand it down to each widget;
 * widgets built without one (unit tests, another extension) get the English null bundle.
 */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

/** The gettext domain, named like the Python package as language packs expect. */
export const TRANSLATION_DOMAIN = 'jupyter_mltrack';

/** The bundle used where no translator was given: the source strings, placeholders filled. */
export function defaultTrans(): TranslationBundle {
  return nullTranslator.load(TRANSLATION_DOMAIN);
}

/** Locale of dates and numbers: the page's language (set by the lab), else English. */
export function pageLocale(): string {
  return (
    (typeof document !== 'undefined' && document.documentElement.lang) || 'en'
  );
}
