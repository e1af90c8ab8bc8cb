// pusher-js's Node build exports the class as `module.exports`, while its type declarations say
// `export default`. This file gives tests the class with the right type.
import pusherJsModule from 'pusher-js';

export type PusherJS = InstanceType<typeof pusherJsModule.default>;
export type PusherJSOptions = ConstructorParameters<typeof pusherJsModule.default>[1];
export const PusherJS = pusherJsModule as unknown as typeof pusherJsModule.default;
