// Before/after sliders: the reconstruction covers the input right of the slider position.
for (const compare of document.querySelectorAll(".compare")) {
  const range = compare.querySelector("input[type=range]");
  const after = compare.querySelector(".after");
  const divider = compare.querySelector(".divider");
  const update = () => {
    after.style.clipPath = `inset(0 0 0 ${range.value}%)`;
    divider.style.left = `${range.value}%`;
  };
  range.addEventListener("input", update);
  update();
}
