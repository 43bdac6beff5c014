// The nft back end: IR → nft JSON (applied atomically) and → text for people; load and list.
export { renderNftJson, type NftJsonDocument } from './render-json.js';
export { renderNftText } from './render-text.js';
export { loadRuleset, loadRulesetText, listRuleset, type NftOptions } from './nft.js';
