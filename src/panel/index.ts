export * from './history';
export * from './item';
export * from './model';
export * from './widget';
