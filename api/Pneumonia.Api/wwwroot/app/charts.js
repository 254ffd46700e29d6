// Charts with the plotly.js copy served by this app (vendor/), loaded only when a page first draws a chart.
let loading = null;

function plotly() {
  loading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = 'vendor/plotly-2.28.0.min.js';
    script.onload = () => resolve(window.Plotly);
    script.onerror = () => reject(new Error('plotly.js did not load'));
    document.head.append(script);
  });
  return loading;
}

const layoutBase = {
  margin: { l: 56, r: 12, t: 12, b: 90 },
  font: { family: 'system-ui, sans-serif', size: 12, color: '#1a1a1a' },
  legend: { orientation: 'h', y: -0.3, yanchor: 'top' },
  paper_bgcolor: '#ffffff',
  plot_bgcolor: '#ffffff',
};

export const colours = { NORMAL: '#1b6e20', PNEUMONIA: '#a3001b', unlabelled: '#6b7480', a: '#0b5cad', b: '#d35400' };

/** Draws (or redraws) a chart into the element with id; the figure's data is also described in text by the pages. */
export async function draw(id, traces, layout = {}) {
  const Plotly = await plotly();
  const node = document.getElementById(id);
  node.setAttribute('role', 'img');
  // Screen readers get the figure's caption; the numbers are in the tables and facts beside each chart.
  const caption = node.closest('figure')?.querySelector('figcaption')?.textContent;
  if (caption && !node.hasAttribute('aria-label')) node.setAttribute('aria-label', caption);
  await Plotly.react(node, traces, { ...layoutBase, ...layout }, { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['sendDataToCloud'] });
}
