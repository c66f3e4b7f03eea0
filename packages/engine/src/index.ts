/**
 * @c/engine: the state and operations behind the CLI and the daemon: images (also at `@c/engine/images`) and containers.
 */
export * from './images/index';
export * from './containers/index';
export * from './networks/index';
