/**
 * Demo-mode credentials shared by the stand-alone simulator and the service's
 * demo mode (WECOM_CORP_ID unset). Not secrets: they only ever talk to the simulator.
 */
export const DEMO_CORP_ID = 'wwdemo00000000lifelong';
export const DEMO_CALLBACK_TOKEN = 'lifelongdemo';
/** 43 chars, base64 of a 32-byte AES key without the trailing '='. */
export const DEMO_CALLBACK_AES_KEY = 'bGlmZWxvbmdkZW1vYWVza2V5MDEyMzQ1Njc4OWFiY2Q';
export const DEMO_CONTACT_SECRET = 'demo-contact-secret';
export const DEMO_AGENT_SECRET = 'demo-agent-secret';
export const DEMO_AGENT_ID = 1000002;
export const DEMO_SIMULATOR_PORT = 4010;
export const DEMO_SEED = 20240601;
