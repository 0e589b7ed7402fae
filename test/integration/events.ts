/** The event builders live with the local stack (the demo uses them too). */
export * from "../../emulators/EventFactory.js"
