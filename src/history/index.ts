export * from './item';
export * from './model';
export * from './sidebar';
export * from './status';
