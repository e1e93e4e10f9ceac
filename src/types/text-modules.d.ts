/** Menu files bundled as text on Workers (wrangler.toml `rules`, type "Text"). */
declare module '*.yaml' {
  const text: string;
  export default text;
}
