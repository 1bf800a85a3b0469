// The build's bundle of tfjs-core's gradient functions (scripts/bundle-tfjs-gradients.mjs),
// imported only for its side effect of registering them.
declare module '@kvc/models/tfjs-gradients';
