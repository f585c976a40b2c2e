/**
 * Settings in memory for the jest specs of preferences kept in the settings registry
 * (src/prefs.ts): `set` updates `composite` and signals, as the registry's settings do, and
 * `writes` records what a sync wrote back.
 */
import { JSONValue } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';

import { IPreferenceSettings } from '../prefs';

export class FakeSettings implements IPreferenceSettings {
  composite: Record<string, JSONValue> = {};
  changed = new Signal<this, void>(this);
  writes: [string, JSONValue][] = [];
  async set(key: string, value: JSONValue): Promise<void> {
    this.writes.push([key, value]);
    this.composite = { ...this.composite, [key]: value };
    this.changed.emit();
  }
}
